//! One JSON Lines input read in blocks, in parallel, from the first byte.
//!
//! A *scanner* thread reads the file once for the account of each line
//! (no parsing beyond it) and cuts it into blocks of about [`BLOCK`] bytes
//! at a change of account, so no account's records straddle two blocks. It
//! also checks that the input is grouped: an account whose records come
//! back after another account's is the end of this way of reading.
//! Meanwhile *workers* read the blocks the scanner has cut (again, from the
//! page cache) and hand each block to the caller's `work` as
//! [`BlockGroups`], which parses its records one account at a time as
//! `work` takes them. Their results go to the
//! caller's `sink` in input order, but only once the scanner has seen the
//! whole input grouped: until then at most [`WINDOW`] blocks are held, so
//! memory stays flat. When the input turns out not to be grouped, nothing
//! has been written and the caller reads it whole instead.

use crate::source::{Input, InputError};
use crate::Profile;
use std::borrow::Cow;
use std::collections::{HashSet, VecDeque};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use vital_eval::reader::{fast_account, guess_account, Problem};
use vital_eval::{Ignored, Origin, Rejection, Schema, Snapshot};

/// Bytes per block (a block ends at the first change of account after it).
pub const BLOCK: u64 = 1 << 19;

/// Blocks the scanner cuts before it sends them on (after its first
/// [`CUTS`], sent one by one).
const CUTS: usize = 16;

/// Blocks parsed or being parsed but not yet handed to the sink. Nothing
/// goes to the sink before the scanner has seen the whole input, so this
/// is how far the workers get meanwhile. With 32 blocks (16 MB of input)
/// the workers of the benchmark's 100 MB often had all 32 done before the
/// scanner finished and waited 4–8 ms each; with 64 (32 MB, held as
/// about 17 MB of rendered results) they did not, and peak memory stayed
/// within the same 35–55 MB (README.md, "Performance"). Blocks of 512 kB
/// rather than 256 kB halve the messages, and with them the times a
/// worker is woken or pre-empted.
const WINDOW: usize = 64;

/// A stretch of the input holding whole accounts.
#[derive(Debug, Clone, Copy)]
struct Block {
    start: u64,
    end: u64,
    /// The line `start` is on (1-based).
    line: usize,
}

enum Msg<R> {
    /// Blocks cut, in order: one by one at first (the workers wait for
    /// them), then [`CUTS`] at a time (each message wakes the caller's
    /// thread, which then takes a core from a worker).
    Cuts(Vec<Block>),
    /// The scanner reached the end: whether the input is grouped.
    Scanned(Result<bool, std::io::Error>),
    Done(usize, Result<Parsed<R>, std::io::Error>),
}

/// A block's result, with what the block's records taught about the input.
struct Parsed<R> {
    out: R,
    ignored: Ignored,
    profile: Profile,
}

/// How [`run`] ended.
pub(crate) enum Ended<E> {
    /// Every block went to the sink.
    Done,
    /// The input is not grouped; nothing went to the sink.
    NotGrouped,
    Input(InputError),
    Sink(E),
}

/// FNV-1a of an account, for the "seen before?" check (a collision only
/// makes the input look ungrouped, which is then read whole, correctly).
fn hash(a: &[u8]) -> u64 {
    a.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The account of one line (its UTF-8 bytes), when it can be read without
/// parsing the record (a line without one is rejected, and belongs to no
/// account).
fn key(line: &[u8]) -> Option<Cow<'_, [u8]>> {
    // a byte order mark is skipped on any line, as the record reader skips
    // it (files concatenated with `cat` have one on several lines): else the
    // line's record is read but has no key, and its account is not grouped
    let mut line = line;
    while let Some(rest) = line.strip_prefix(b"\xEF\xBB\xBF") {
        line = rest;
    }
    // the common line: `{"account":"…"` first, without escapes; an account
    // is short, so a byte loop finds its end sooner than a vectorised
    // search, and ASCII needs no UTF-8 check
    if let Some(rest) = line.strip_prefix(b"{\"account\":\"") {
        let mut ascii = true;
        for (n, &c) in rest.iter().enumerate() {
            match c {
                b'"' => {
                    let a = &rest[..n];
                    if ascii || std::str::from_utf8(a).is_ok() {
                        return Some(Cow::Borrowed(a));
                    }
                    break;
                }
                b'\\' => break,
                0x80.. => ascii = false,
                _ => {}
            }
        }
    }
    Some(match fast_account(std::str::from_utf8(line).ok()?)? {
        Cow::Borrowed(a) => Cow::Borrowed(a.as_bytes()),
        Cow::Owned(a) => Cow::Owned(a.into_bytes()),
    })
}

/// Accounts seen so far, to tell whether the input is grouped. While every
/// account comes after the one before it (an export sorted by account),
/// nothing needs to be kept: only the last account. At the first account
/// out of order the accounts before it are read again into a set of hashes,
/// which then answers "seen before?".
struct Seen {
    /// The line before's account (compared as bytes: most lines of a
    /// nightly export begin a new account, and a hash costs more).
    last: Option<Vec<u8>>,
    set: Option<HashSet<u64, Fib>>,
}

/// The hasher of hashes: one multiplication spreads FNV's bits.
#[derive(Default, Clone, Copy)]
struct Fib(u64);

impl std::hash::Hasher for Fib {
    fn finish(&self) -> u64 {
        self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

impl std::hash::BuildHasher for Fib {
    type Hasher = Fib;
    fn build_hasher(&self) -> Fib {
        Fib(0)
    }
}

impl Seen {
    /// A line of `account` at `offset`: `None` when it goes on with the line
    /// before's account, else whether the account begins for the first time
    /// (`false`: it comes back, and the input is not grouped).
    fn line(
        &mut self,
        account: &[u8],
        offset: u64,
        input: &Input,
    ) -> std::io::Result<Option<bool>> {
        if self.last.as_deref() == Some(account) {
            return Ok(None);
        }
        let fresh = self.first_time(account, offset, input)?;
        let last = self.last.get_or_insert_with(Vec::new);
        last.clear();
        last.extend_from_slice(account);
        Ok(Some(fresh))
    }

    /// A new account begins at `offset`: false when it was seen before.
    fn first_time(&mut self, account: &[u8], offset: u64, input: &Input) -> std::io::Result<bool> {
        if let Some(set) = &mut self.set {
            return Ok(set.insert(hash(account)));
        }
        if self.last.as_deref().is_none_or(|l| account > l) {
            return Ok(true);
        }
        // out of order: every account before `offset` into the set
        let mut set = HashSet::with_hasher(Fib(0));
        let mut r = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(input.path())?)
            .take(offset);
        let mut line = Vec::new();
        loop {
            line.clear();
            if std::io::BufRead::read_until(&mut r, b'\n', &mut line)? == 0 {
                break;
            }
            if let Some(k) = key(&line) {
                set.insert(hash(&k));
            }
        }
        let fresh = set.insert(hash(account));
        self.set = Some(set);
        Ok(fresh)
    }
}

/// The scanner: cuts the input into blocks and checks it is grouped.
fn scan<R>(input: &Input, tx: &Sender<Msg<R>>, stop: &AtomicBool) -> Result<bool, std::io::Error> {
    let mut file = std::fs::File::open(input.path())?;
    // 256 kB: the kernel's copy is still in the core's cache when the lines
    // are searched (4 MB was 1–3 % more CPU for the run: bench/README.md)
    let mut buf: Vec<u8> = vec![0; 1 << 18];
    let mut have = 0usize; // bytes in buf
    let mut base = 0u64; // file offset of buf[0]
    let mut line = 1usize; // line of buf[0]
    let mut seen = Seen {
        last: None,
        set: None,
    };
    let mut cuts: Vec<Block> = Vec::new();
    let mut made = 0usize; // blocks cut so far
    let mut block = Block {
        start: 0,
        end: 0,
        line: 1,
    };
    let mut eof = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        if !eof {
            if have == buf.len() {
                buf.resize(buf.len() * 2, 0);
            }
            let n = file.read(&mut buf[have..])?;
            eof = n == 0;
            have += n;
        }
        // the complete lines in buf (and the last one at the end of input)
        let mut at = 0usize;
        while at < have {
            let end = match memchr::memchr(b'\n', &buf[at..have]) {
                Some(n) => at + n,
                None if eof => have,
                None => break,
            };
            let offset = base + at as u64;
            if let Some(k) = key(&buf[at..end]) {
                match seen.line(&k, offset, input)? {
                    Some(false) => return Ok(false),
                    // a new account past the block's size: a cut before it
                    Some(true) if offset - block.start >= BLOCK => {
                        block.end = offset;
                        cuts.push(block);
                        if (made < CUTS || cuts.len() >= CUTS)
                            && tx.send(Msg::Cuts(std::mem::take(&mut cuts))).is_err()
                        {
                            return Ok(false);
                        }
                        made += 1;
                        block = Block {
                            start: offset,
                            end: 0,
                            line,
                        };
                    }
                    _ => {}
                }
            }
            line += 1;
            at = end + 1;
        }
        let at = at.min(have);
        buf.copy_within(at..have, 0);
        base += at as u64;
        have -= at;
        if eof && have == 0 {
            break;
        }
    }
    if base > block.start {
        block.end = base;
        cuts.push(block);
    }
    if !cuts.is_empty() {
        let _ = tx.send(Msg::Cuts(cuts));
    }
    Ok(true)
}

/// One block's records, parsed one account at a time as the caller's
/// `work` takes them (an iterator of each account's snapshots, in input
/// order): `work` can score a few accounts while their snapshots are still
/// in the core's cache, not after the whole block has been parsed. After
/// the last account, [`BlockGroups::records`] and
/// [`BlockGroups::take_rejections`] tell what else the block held; `work`
/// must take every account (a block left unread is an error, never records
/// silently dropped).
pub struct BlockGroups<'a> {
    schema: &'a Schema<'a>,
    bytes: &'a [u8],
    /// The block as text, when all of it is valid UTF-8 (the common case:
    /// one check for the block instead of one per line).
    whole: Option<&'a str>,
    at: usize,
    /// The block is the input's first (a byte order mark may begin it).
    first: bool,
    line: usize,
    /// The block's own copy of the input's name: every record holds it,
    /// and a count shared with the other workers would bounce between
    /// their cores.
    name: std::sync::Arc<str>,
    keep: bool,
    /// The account being read.
    group: Vec<Snapshot>,
    records: usize,
    rejections: Vec<Rejection>,
    ignored: Ignored,
    profile: Profile,
}

impl<'a> BlockGroups<'a> {
    fn new(
        schema: &'a Schema<'a>,
        input: &Input,
        bytes: &'a [u8],
        block: Block,
        keep: bool,
    ) -> BlockGroups<'a> {
        BlockGroups {
            schema,
            bytes,
            // validated with SIMD: several times faster than std on long text
            whole: simdutf8::basic::from_utf8(bytes).ok(),
            at: 0,
            first: block.start == 0,
            line: block.line,
            name: std::sync::Arc::from(&*input.name),
            keep,
            group: Vec::new(),
            records: 0,
            rejections: Vec::new(),
            ignored: Ignored::default(),
            profile: Profile::new(schema.rules().signals.len()),
        }
    }

    /// Records read so far (accepted or not): all of the block's once the
    /// iterator has ended.
    pub fn records(&self) -> usize {
        self.records
    }

    /// The records rejected so far, in input order.
    pub fn take_rejections(&mut self) -> Vec<Rejection> {
        std::mem::take(&mut self.rejections)
    }

    /// What the block taught about the input, once every account has been
    /// taken; an error when `work` left some unread.
    fn finish(self) -> std::io::Result<(Ignored, Profile)> {
        if self.at < self.bytes.len() || !self.group.is_empty() {
            return Err(std::io::Error::other(
                "a block's accounts were not all read (a bug in vital)",
            ));
        }
        Ok((self.ignored, self.profile))
    }

    /// The next line's record: accepted into the account being read, or
    /// rejected. `Some(group)` when it begins another account: the
    /// account before, complete.
    fn line(&mut self) -> Option<Vec<Snapshot>> {
        let bytes = self.bytes;
        let len = bytes.len();
        // the line with its newline, as the whole-input reader hands it to
        // the record reader (serde's messages about a broken line count it)
        let end = memchr::memchr(b'\n', &bytes[self.at..]).map_or(len, |n| self.at + n + 1);
        let mut raw = &bytes[self.at..end];
        if self.first && self.at == 0 && raw.starts_with(b"\xEF\xBB\xBF") {
            raw = &raw[3..];
        }
        let this = self.line;
        self.line += 1;
        self.at = end;
        if raw.iter().all(u8::is_ascii_whitespace) {
            return None;
        }
        self.records += 1;
        let origin = Origin {
            file: self.name.clone(),
            line: this,
        };
        let text = match self.whole {
            // the block is valid UTF-8, so is each of its lines
            Some(w) => Some(&w[(end - raw.len())..end]),
            None => std::str::from_utf8(raw).ok(),
        };
        let Some(text) = text else {
            let lossy = String::from_utf8_lossy(raw);
            self.rejections.push(Rejection {
                origin,
                account: guess_account(&lossy),
                reason: "the line is not valid UTF-8".into(),
                problem: Problem::NotUtf8,
                record: self.keep.then(|| lossy.trim_end().into()),
            });
            return None;
        };
        match self.schema.json_record(text, origin, &mut self.ignored) {
            Err(mut r) => {
                if self.keep && r.record.is_none() {
                    r.record = Some(text.trim_end().into());
                }
                self.rejections.push(r);
                None
            }
            Ok(s) => {
                let done = if self.group.first().is_some_and(|g| g.account != s.account) {
                    Some(std::mem::take(&mut self.group))
                } else {
                    None
                };
                match crate::reader::duplicate(&self.group, &s) {
                    Some(rej) => self.rejections.push(rej),
                    None => {
                        self.profile.add(&s);
                        self.group.push(s);
                    }
                }
                done
            }
        }
    }
}

impl Iterator for BlockGroups<'_> {
    /// One account's accepted snapshots, in input order.
    type Item = Vec<Snapshot>;

    fn next(&mut self) -> Option<Vec<Snapshot>> {
        while self.at < self.bytes.len() {
            if let Some(done) = self.line() {
                return Some(done);
            }
        }
        (!self.group.is_empty()).then(|| std::mem::take(&mut self.group))
    }
}

/// One block's bytes into `bytes` (grown with zeros only beyond what
/// earlier blocks used).
fn read_block(file: &std::fs::File, block: Block, bytes: &mut Vec<u8>) -> std::io::Result<()> {
    bytes.resize((block.end - block.start) as usize, 0);
    file.read_exact_at(bytes, block.start)
}

/// Read `input` in blocks: `work` runs on the workers, `sink` here, in
/// input order; see the module documentation.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<R: Send, E>(
    schema: &Schema<'_>,
    input: &Input,
    keep: bool,
    ignored: &mut Ignored,
    profile: &mut Profile,
    work: &(dyn Fn(&mut BlockGroups<'_>) -> R + Sync),
    sink: &mut dyn FnMut(R) -> Result<(), E>,
) -> Ended<E> {
    let file = match std::fs::File::open(input.path()) {
        Ok(f) => f,
        Err(e) => return Ended::Input(input.io(e)),
    };
    let file = &file;
    let workers = rayon::current_num_threads().max(1);
    let stop = AtomicBool::new(false);
    let (tx, rx) = channel::<Msg<R>>();
    let (jobs_tx, jobs_rx) = channel::<(usize, Block)>();
    let jobs_rx = Mutex::new(jobs_rx);
    std::thread::scope(|s| {
        {
            let tx = tx.clone();
            let stop = &stop;
            s.spawn(move || {
                let alarm = Alarm {
                    tx: &tx,
                    block: None,
                };
                let r = scan(input, &tx, stop);
                drop(alarm);
                let _ = tx.send(Msg::Scanned(r));
            });
        }
        for _ in 0..workers {
            let tx = tx.clone();
            let jobs = &jobs_rx;
            s.spawn(move || {
                let mut bytes = Vec::new();
                loop {
                    let job = jobs.lock().ok().and_then(|j| j.recv().ok());
                    let Some((i, block)) = job else { break };
                    let _alarm = Alarm {
                        tx: &tx,
                        block: Some(i),
                    };
                    let r = read_block(file, block, &mut bytes).and_then(|()| {
                        let mut groups = BlockGroups::new(schema, input, &bytes, block, keep);
                        let out = work(&mut groups);
                        let (ignored, profile) = groups.finish()?;
                        Ok(Parsed {
                            out,
                            ignored,
                            profile,
                        })
                    });
                    if tx.send(Msg::Done(i, r)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let ended = drive(&rx, jobs_tx, ignored, profile, sink, input);
        stop.store(true, Ordering::Relaxed);
        // let the threads see the end (the jobs sender is gone) and finish
        while rx.recv().is_ok() {}
        ended
    })
}

/// Tells the caller that a thread ends in a panic (a bug), which it would
/// otherwise wait for for ever; the scope raises the panic again once the
/// caller has returned.
struct Alarm<'a, R> {
    tx: &'a Sender<Msg<R>>,
    /// The worker's block; `None`: the scanner.
    block: Option<usize>,
}

impl<R> Drop for Alarm<'_, R> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let e = std::io::Error::other("a reader thread panicked");
            let _ = self.tx.send(match self.block {
                Some(i) => Msg::Done(i, Err(e)),
                None => Msg::Scanned(Err(e)),
            });
        }
    }
}

/// The caller's side: hands out blocks, and results to the sink in order.
fn drive<R, E>(
    rx: &Receiver<Msg<R>>,
    jobs: Sender<(usize, Block)>,
    ignored: &mut Ignored,
    profile: &mut Profile,
    sink: &mut dyn FnMut(R) -> Result<(), E>,
    input: &Input,
) -> Ended<E> {
    let mut cut: Vec<Block> = Vec::new();
    let mut handed = 0usize;
    let mut written = 0usize;
    let mut grouped: Option<bool> = None;
    // results by block index, from `written` on
    let mut ready: VecDeque<Option<Parsed<R>>> = VecDeque::new();
    loop {
        while handed < cut.len() && handed < written + WINDOW {
            if jobs.send((handed, cut[handed])).is_err() {
                return Ended::Input(input.io(std::io::Error::other("a reader thread ended")));
            }
            handed += 1;
        }
        if grouped == Some(true) {
            while let Some(Some(_)) = ready.front() {
                let Some(Some(p)) = ready.pop_front() else {
                    break;
                };
                written += 1;
                if !p.ignored.is_empty() {
                    ignored.merge(p.ignored);
                }
                profile.merge(p.profile);
                if let Err(e) = sink(p.out) {
                    return Ended::Sink(e);
                }
            }
            if written == cut.len() {
                return Ended::Done;
            }
            // more blocks may be handed out now
            if handed < cut.len() && handed < written + WINDOW {
                continue;
            }
        }
        match rx.recv() {
            Ok(Msg::Cuts(b)) => cut.extend(b),
            Ok(Msg::Scanned(Ok(true))) => grouped = Some(true),
            Ok(Msg::Scanned(Ok(false))) => return Ended::NotGrouped,
            Ok(Msg::Scanned(Err(e))) => return Ended::Input(input.io(e)),
            Ok(Msg::Done(i, r)) => {
                let p = match r {
                    Ok(p) => p,
                    Err(e) => return Ended::Input(input.io(e)),
                };
                let slot = i - written;
                if ready.len() <= slot {
                    ready.resize_with(slot + 1, || None);
                }
                ready[slot] = Some(p);
            }
            Err(_) => {
                return Ended::Input(input.io(std::io::Error::other("the reader threads ended")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use vital_syntax::{SourceFile, SourceMap};

    /// Rules with one signal, and `accounts` records of it (one each).
    fn one_signal(accounts: usize) -> (vital_check::Checked, String) {
        let mut map = SourceMap::new();
        map.add(SourceFile::new(
            "r.vital",
            "signal n: int\nscore a weight 1 = 50\nstatus {\n  ok otherwise\n}\n",
        ));
        let checked = vital_check::check(&map);
        assert!(checked.valid().is_some(), "the rules check");
        let mut text = String::new();
        for a in 0..accounts {
            text.push_str(&format!(
                "{{\"account\":\"a{a:06}\",\"as_of\":\"2026-10-01\",\"signals\":{{\"n\":1}}}}\n"
            ));
        }
        (checked, text)
    }

    /// Read `input` in blocks with a `work` that takes the first `take`
    /// accounts of each block (all of them: `None`): how the run ended, and
    /// the accounts taken, the records and the rejections counted.
    fn accounts_of(
        schema: &Schema<'_>,
        input: &Input,
        take: Option<usize>,
    ) -> (Result<(), String>, (Vec<String>, usize, usize)) {
        let mut ignored = Ignored::default();
        let mut profile = Profile::new(1);
        let work = |b: &mut BlockGroups<'_>| -> (Vec<String>, usize, usize) {
            let accounts: Vec<String> = b
                .by_ref()
                .take(take.unwrap_or(usize::MAX))
                .map(|g| g[0].account.to_string())
                .collect();
            (accounts, b.records(), b.take_rejections().len())
        };
        let mut all = (Vec::new(), 0, 0);
        let mut sink = |(a, n, r): (Vec<String>, usize, usize)| -> Result<(), ()> {
            all.0.extend(a);
            all.1 += n;
            all.2 += r;
            Ok(())
        };
        let ended = run(
            schema,
            input,
            false,
            &mut ignored,
            &mut profile,
            &work,
            &mut sink,
        );
        let ended = match ended {
            Ended::Done => Ok(()),
            Ended::Input(e) => Err(e.to_string()),
            _ => Err("another end".to_string()),
        };
        (ended, all)
    }

    /// Every account of a block reaches `work`, each once and in order,
    /// with the records rejected beside them; a `work` that leaves accounts
    /// unread ends the run with an error instead of dropping them.
    #[test]
    fn every_account_of_a_block_is_read_or_the_run_fails() {
        let (checked, mut text) = one_signal(20_000);
        assert!(text.len() as u64 > 2 * BLOCK, "several blocks");
        text.push_str("{\"account\":\"z\",\"as_of\":\"2026-10-01\",\"signals\":{\"n\":\"x\"}}\n");
        let input = Input::spool("-", crate::source::Format::Jsonl, text.as_bytes()).unwrap();
        let rules = checked.valid().unwrap();
        let schema = Schema::new(rules);
        let read = |take| accounts_of(&schema, &input, take);
        let (ended, (accounts, records, rejected)) = read(None);
        assert_eq!(ended, Ok(()));
        let expected: Vec<String> = (0..20_000).map(|a| format!("a{a:06}")).collect();
        assert_eq!(accounts, expected, "every account once, in input order");
        assert_eq!(
            (records, rejected),
            (20_001, 1),
            "the rejected record is counted"
        );
        let (ended, _) = read(Some(10));
        let e = ended.expect_err("accounts left unread are an error");
        assert!(e.contains("were not all read"), "{e}");
    }

    /// Lines longer than the scanner's buffer (256 kB) and than a block
    /// are read whole, each account once and in order.
    #[test]
    fn lines_longer_than_the_buffer_and_a_block() {
        let (checked, short) = one_signal(3);
        let long = "x".repeat(700_000);
        let mut text = String::new();
        for (i, line) in short.lines().enumerate() {
            text.push_str(&line.replace("}}", &format!("}},\"note\":\"{long}{i}\"}}")));
            text.push('\n');
        }
        assert!(text.len() > 3 * 700_000, "three long lines");
        let input = Input::spool("-", crate::source::Format::Jsonl, text.as_bytes()).unwrap();
        let rules = checked.valid().unwrap();
        let (ended, (accounts, records, rejected)) = accounts_of(&Schema::new(rules), &input, None);
        assert_eq!(ended, Ok(()));
        assert_eq!(accounts, ["a000000", "a000001", "a000002"]);
        assert_eq!((records, rejected), (3, 0));
    }

    /// A worker that panics (a bug in scoring) ends the run with that
    /// panic, as the whole-input reader's thread pool does: the caller is
    /// not left waiting for the block's result for ever.
    #[test]
    fn a_panic_in_a_worker_is_not_a_hang() {
        let (checked, text) = one_signal(40_000);
        assert!(text.len() as u64 > 4 * BLOCK, "several blocks");
        let input = Input::spool("-", crate::source::Format::Jsonl, text.as_bytes()).unwrap();
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rules = checked.valid().unwrap();
            let schema = Schema::new(rules);
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let mut ignored = Ignored::default();
                let mut profile = Profile::new(1);
                let work = |b: &mut BlockGroups<'_>| -> usize {
                    let groups: Vec<Vec<Snapshot>> = b.collect();
                    assert!(groups[0][0].account.as_ref() != "a000000", "a bug");
                    groups.len()
                };
                let mut written = 0;
                let mut sink = |n: usize| -> Result<(), ()> {
                    written += n;
                    Ok(())
                };
                let ended = run(
                    &schema,
                    &input,
                    false,
                    &mut ignored,
                    &mut profile,
                    &work,
                    &mut sink,
                );
                (matches!(ended, Ended::Done), written)
            }));
            let _ = done_tx.send(r.map_err(|_| ()));
        });
        let ended = done_rx
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("the run ends");
        assert!(ended.is_err(), "the worker's panic ends the run: {ended:?}");
    }
}
