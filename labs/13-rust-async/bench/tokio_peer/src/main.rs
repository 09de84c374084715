//! tokio_peer - the Tokio side of lab 13's benchmarks, and of lab 05's
//! spawn+join.
//!
//!   tokio_peer spawnjoin   four driver tasks spawn children in batches of
//!                          64 and await their JoinHandles (as bench/spawnjoin.c)
//!   tokio_peer echo        50 clients x ROUNDS 64-byte round trips through a
//!                          loopback echo server (as bench/echo.c)
//!   tokio_peer spawnjoin1  lab 05's shape (its bench/spawnjoin.c): one thread,
//!                          batches of 64 spawned, then their JoinHandles awaited
//!
//! The first two on a 2-worker multi-thread runtime (lab 13's runtime has
//! 2 workers), spawnjoin1 on a current_thread runtime (lab 05's loop is one
//! thread). Each prints one line, `tl-bench ops=<n> ns=<elapsed>`, and
//! exits 1 if the answer is wrong. TL_BENCH_QUICK=1: a token amount of work.
use std::time::Instant;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

// The scheduler lab 05's single-threaded loop is compared with: tasks run
// on the thread that calls block_on, and the I/O and time drivers are on,
// as lab 05's loop always owns its epoll instance.
fn runtime_one_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio current_thread runtime")
}

// Lab 05's spawnjoin.c on Tokio: batches of 64 tasks, each ready at its
// first poll with its place in the batch + 1; the batch is joined by
// awaiting the handles in order, each value checked.
fn spawnjoin1(quick: bool) -> (u64, u128) {
    let total: u64 = if quick { 4000 } else { 2_000_000 };
    let rt = runtime_one_thread();
    rt.block_on(async move {
        let t0 = Instant::now();
        let mut joined = 0u64;
        let mut hs = Vec::with_capacity(64);
        while joined < total {
            let b = std::cmp::min(64, total - joined);
            for i in 0..b {
                hs.push(tokio::spawn(async move { i + 1 }));
            }
            for (i, h) in hs.drain(..).enumerate() {
                let v = h.await.expect("task");
                if v != i as u64 + 1 {
                    eprintln!("tokio spawnjoin1: task {} gave {}, want {}", joined + i as u64, v, i + 1);
                    std::process::exit(1);
                }
            }
            joined += b;
        }
        (joined, t0.elapsed().as_nanos())
    })
}

fn spawnjoin(quick: bool) -> (u64, u128) {
    let total: u64 = if quick { 4000 } else { 2_000_000 };
    let rt = runtime();
    rt.block_on(async move {
        let t0 = Instant::now();
        let mut drivers = Vec::new();
        for _ in 0..4 {
            let per = total / 4;
            drivers.push(tokio::spawn(async move {
                let mut done = 0u64;
                let mut sum = 0u64;
                while done < per {
                    let b = std::cmp::min(64, per - done);
                    let mut hs = Vec::with_capacity(b as usize);
                    for _ in 0..b {
                        hs.push(tokio::spawn(async { 1u64 }));
                    }
                    for h in hs {
                        sum += h.await.expect("child");
                    }
                    done += b;
                }
                sum
            }));
        }
        let mut sum = 0;
        for d in drivers {
            sum += d.await.expect("driver");
        }
        let ns = t0.elapsed().as_nanos();
        if sum != total {
            eprintln!("tokio spawnjoin: joined {} of {}", sum, total);
            std::process::exit(1);
        }
        (sum, ns)
    })
}

fn echo(quick: bool) -> (u64, u128) {
    const CONNS: usize = 50;
    const MSG: usize = 64;
    let rounds: u64 = if quick { 20 } else { 4000 };
    let rt = runtime();
    rt.block_on(async move {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("listen on 127.0.0.1");
        let port = l.local_addr().unwrap().port();
        tokio::spawn(async move {
            loop {
                let (mut s, _) = match l.accept().await {
                    Ok(x) => x,
                    Err(_) => return,
                };
                s.set_nodelay(true).ok();
                tokio::spawn(async move {
                    let mut buf = [0u8; MSG * 4];
                    loop {
                        let n = match s.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => n,
                        };
                        if s.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let t0 = Instant::now();
        let mut cs = Vec::new();
        for _ in 0..CONNS {
            cs.push(tokio::spawn(async move {
                let mut s = TcpStream::connect(("127.0.0.1", port)).await.expect("connect");
                s.set_nodelay(true).ok();
                let mut out = [0u8; MSG];
                let mut inb = [0u8; MSG];
                let mut done = 0u64;
                while done < rounds {
                    out.fill(b'a' + (done % 26) as u8);
                    s.write_all(&out).await.expect("write");
                    s.read_exact(&mut inb).await.expect("read");
                    if inb != out {
                        return u64::MAX;
                    }
                    done += 1;
                }
                done
            }));
        }
        let mut total = 0u64;
        for c in cs {
            let d = c.await.expect("client");
            if d != rounds {
                eprintln!("tokio echo: a client finished {} of {} round trips", d, rounds);
                std::process::exit(1);
            }
            total += d;
        }
        (total, t0.elapsed().as_nanos())
    })
}

fn main() {
    let quick = std::env::var_os("TL_BENCH_QUICK").is_some();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let (ops, ns) = match mode.as_str() {
        "spawnjoin" => spawnjoin(quick),
        "echo" => echo(quick),
        "spawnjoin1" => spawnjoin1(quick),
        _ => {
            eprintln!("usage: tokio_peer spawnjoin|echo|spawnjoin1");
            std::process::exit(2);
        }
    };
    println!("tl-bench ops={} ns={}", ops, ns);
}
