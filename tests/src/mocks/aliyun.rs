//! aliyun mock: not written yet.
