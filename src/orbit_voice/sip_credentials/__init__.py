"""SIP credentials and the extensions they own (softphones, desk phones)."""
