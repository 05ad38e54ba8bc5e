//! smsaero mock: not written yet.
