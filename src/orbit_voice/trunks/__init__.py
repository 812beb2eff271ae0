"""SIP trunks: bring-your-own-carrier connections (termination, origination, auth, codecs)."""
