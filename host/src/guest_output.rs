//! A guest's stderr, kept as its last few KiB.
//!
//! A Rust panic message or a Python traceback is written last, after
//! whatever the guest printed before; keeping the tail (and accepting every
//! write) means a chatty guest neither fails on its own output nor hides
//! why it trapped.

use bytes::Bytes;
use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// Largest write permit granted at once; a guest writes in chunks of this.
const WRITE_PERMIT: usize = 64 * 1024;

/// An output stream that keeps only the last `capacity` bytes written.
#[derive(Debug, Clone)]
pub(crate) struct TailPipe {
    capacity: usize,
    buffer: Arc<Mutex<VecDeque<u8>>>,
}

impl TailPipe {
    /// A pipe keeping the last `capacity` bytes.
    pub(crate) fn new(capacity: usize) -> Self {
        TailPipe {
            capacity,
            buffer: Arc::new(Mutex::new(VecDeque::with_capacity(capacity))),
        }
    }

    /// The last bytes written, oldest first.
    pub(crate) fn contents(&self) -> Vec<u8> {
        let buffer = self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        buffer.iter().copied().collect()
    }

    fn push(&self, bytes: &[u8]) {
        let mut buffer = self.buffer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let bytes = &bytes[bytes.len().saturating_sub(self.capacity)..];
        let overflow = (buffer.len() + bytes.len()).saturating_sub(self.capacity);
        buffer.drain(..overflow);
        buffer.extend(bytes);
    }
}

impl OutputStream for TailPipe {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.push(&bytes);
        Ok(())
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(WRITE_PERMIT)
    }
}

#[async_trait::async_trait]
impl Pollable for TailPipe {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for TailPipe {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        self.push(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl IsTerminal for TailPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for TailPipe {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes() {
        let pipe = TailPipe::new(8);
        pipe.push(b"0123456789");
        assert_eq!(pipe.contents(), b"23456789");
        pipe.push(b"ab");
        assert_eq!(pipe.contents(), b"456789ab");
        let mut stream = pipe.clone();
        for _ in 0..1000 {
            stream.write(Bytes::from_static(b"xyz")).unwrap();
        }
        assert_eq!(stream.check_write().unwrap(), WRITE_PERMIT);
        assert_eq!(pipe.contents().len(), 8);
    }
}
