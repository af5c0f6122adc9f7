"""Where catalogue files live and where staged copies are kept: the store, the staging area, zips."""
