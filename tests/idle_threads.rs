//! The process's kept threads burn no time once the last caller has
//! returned: they spin for at most a millisecond after their last job, then
//! sleep. A test binary of its own, so that no other test's calls wake them.

#![cfg(target_os = "linux")]

use std::num::NonZeroUsize;
use std::time::Duration;

use backprop::{Matrix, Network, Workspace, sigmoid};

/// The CPU time, in clock ticks, of every kept thread ("backprop-shard"),
/// and how many there are, from /proc.
fn kept_threads_ticks() -> (u64, usize) {
    let mut ticks = 0;
    let mut count = 0;
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != "backprop-shard" {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap();
        // The fields after the name, which ends at the last ')': utime and
        // stime are the 12th and 13th of them.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        ticks += fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        count += 1;
    }
    (ticks, count)
}

#[test]
fn kept_threads_sleep_once_the_last_caller_has_returned() {
    let net = Network::random(&[64, 128, 128, 10], 1).unwrap();
    let x = Matrix::randn(2048, 64, 2).map(sigmoid);
    let y = Matrix::randn(2048, 10, 3).map(sigmoid);
    let mut ws = Workspace::with_threads(NonZeroUsize::new(2).unwrap());
    // Calls long enough that each kept thread's spin budget is its limit.
    for _ in 0..20 {
        net.gradients_in(&x, &y, &mut ws).unwrap();
    }
    let (worked, count) = kept_threads_ticks();
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    assert_eq!(
        count,
        cores - 1,
        "one kept thread per core but the caller's"
    );
    if count > 0 {
        assert!(worked > 0, "the kept threads took shards");
    }
    std::thread::sleep(Duration::from_millis(50));
    let (before, _) = kept_threads_ticks();
    std::thread::sleep(Duration::from_millis(500));
    let (after, _) = kept_threads_ticks();
    assert_eq!(after, before, "kept threads ran while no caller was in");
}
