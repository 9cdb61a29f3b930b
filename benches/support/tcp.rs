//! What the TCP ingest benches share: a loopback sender, and the plain
//! read-and-discard sink each is measured against in the same run.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread::JoinHandle;
use std::time::Instant;

/// Sends `total` bytes of `Z` to `addr` as fast as possible, from a thread
/// named `sender`.
pub fn blast(addr: SocketAddr, total: u64) -> JoinHandle<()> {
    std::thread::Builder::new()
        .name("sender".into())
        .spawn(move || {
            let mut c = TcpStream::connect(addr).expect("connect");
            let block = vec![b'Z'; 256 * 1024];
            let mut sent = 0u64;
            while sent < total {
                let n = (block.len() as u64).min(total - sent) as usize;
                c.write_all(&block[..n]).expect("write");
                sent += n as u64;
            }
        })
        .expect("spawn the sender")
}

/// The baseline: a plain blocking read-and-discard sink taking `total`
/// bytes from [`blast`] in 64 KiB reads; bytes per second.
pub fn plain_sink(total: u64) -> f64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let start = Instant::now();
    let writer = blast(addr, total);
    let (mut s, _) = listener.accept().unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0u64;
    while got < total {
        let n = s.read(&mut buf).expect("sink read");
        assert!(n > 0, "the sender stopped early");
        got += n as u64;
    }
    let elapsed = start.elapsed();
    writer.join().unwrap();
    assert_eq!(got, total);
    got as f64 / elapsed.as_secs_f64()
}
