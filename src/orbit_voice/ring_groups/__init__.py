"""Ring groups: ring several extensions or numbers at once or in turn; first answer wins."""
