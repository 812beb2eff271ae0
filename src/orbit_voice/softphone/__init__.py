"""Short-lived softphone tokens and the dial endpoint they authorise."""
