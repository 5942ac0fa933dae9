//! The worker threads of `log::stream`: chunks are searched on a few
//! worker threads while the calling thread reads ahead, and come back in
//! the order they were read.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::{mpsc, Mutex};

use super::chunks::{Chunk, ChunkReader};
use super::prefilter::Scanned;

/// A chunk to search, and where to send it back with what was found.
type Job = (Chunk, mpsc::SyncSender<(Chunk, Scanned)>);

/// Hands `first` and the chunks after it in `chunks` to `done`, in order,
/// each with what `search` found in it. `search` runs on the workers; it
/// gets a buffer of its worker's to use as it likes. A read error ends the
/// reading; the chunks read before it are still handed on, then it is
/// returned.
pub(super) fn search_in_order<R: BufRead, S>(
    first: Chunk,
    chunks: &mut ChunkReader<R>,
    search: &S,
    mut done: impl FnMut(&Chunk, &Scanned),
) -> io::Result<()>
where
    S: Fn(&mut Chunk, &mut Vec<u8>) -> Scanned + Sync,
{
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    let in_flight = workers + 2;
    let (jobs, queue) = mpsc::sync_channel::<Job>(in_flight);
    let queue = Mutex::new(queue);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let queue = &queue;
            scope.spawn(move || {
                let mut spare = Vec::new();
                loop {
                    let job = match queue.lock() {
                        Ok(queue) => queue.recv(),
                        Err(_) => return,
                    };
                    let Ok((mut chunk, reply)) = job else {
                        return;
                    };
                    let scanned = search(&mut chunk, &mut spare);
                    if reply.send((chunk, scanned)).is_err() {
                        return;
                    }
                }
            });
        }
        let mut pending = VecDeque::new();
        let mut spare = Vec::new();
        let mut next = Some(first);
        let mut failed = None;
        loop {
            while pending.len() < in_flight {
                let Some(chunk) = next.take() else {
                    break;
                };
                let (reply, answer) = mpsc::sync_channel(1);
                if jobs.send((chunk, reply)).is_err() {
                    break;
                }
                pending.push_back(answer);
                if failed.is_none() {
                    match chunks.next(spare.pop().unwrap_or_default()) {
                        Ok(chunk) => next = chunk,
                        Err(e) => failed = Some(e),
                    }
                }
            }
            let Some(answer) = pending.pop_front() else {
                break;
            };
            // A worker that panicked drops its reply; the scope's join then
            // reports the panic.
            let Ok((chunk, scanned)) = answer.recv() else {
                break;
            };
            done(&chunk, &scanned);
            spare.push(chunk.data);
        }
        drop(jobs);
        failed.map_or(Ok(()), Err)
    })
}
