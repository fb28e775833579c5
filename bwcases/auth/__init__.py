"""People and their access: who is signed in (people), passwords and sign-in (accounts)."""
