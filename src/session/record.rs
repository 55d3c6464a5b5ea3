//! Saving a session to a file and loading it back.
