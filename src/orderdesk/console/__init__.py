"""The operator console at `/console/`: the people who run orderdesk sign in and see every order."""
