//! tencent mock: not written yet.
