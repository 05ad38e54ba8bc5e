//! vonage mock: not written yet.
