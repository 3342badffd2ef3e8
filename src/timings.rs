//! Wall time per build stage, for `castor build --timings`. Some stages run
//! at once on different threads (rendering beside indexing), so each one
//! keeps its own start and end, counted from the start of the build: a
//! plain list of durations would hide the overlap.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::progress::Progress;

pub struct Timings {
    start: Instant,
    stages: Mutex<Vec<Stage>>,
    progress: Option<Arc<Progress>>,
}

#[derive(Debug, Clone, Copy)]
pub struct Stage {
    pub name: &'static str,
    pub start: Duration,
    pub end: Duration,
}

impl Timings {
    pub fn new() -> Timings {
        Timings {
            start: Instant::now(),
            stages: Mutex::new(Vec::new()),
            progress: None,
        }
    }

    /// Also shows each stage on `progress`.
    pub fn with_progress(mut self, progress: Option<Arc<Progress>>) -> Timings {
        self.progress = progress;
        self
    }

    /// Runs `f` as the stage `name`.
    pub fn time<T>(&self, name: &'static str, f: impl FnOnce() -> T) -> T {
        if let Some(progress) = &self.progress {
            progress.started(name);
        }
        let start = self.start.elapsed();
        let value = f();
        let end = self.start.elapsed();
        if let Some(progress) = &self.progress {
            progress.finished(name);
        }
        self.stages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Stage { name, start, end });
        value
    }

    /// Removes the progress bar, if any, so what is printed next stands
    /// alone.
    pub fn finish(&self) {
        if let Some(progress) = &self.progress {
            progress.clear();
        }
    }

    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// The stages in the order they started.
    pub fn stages(&self) -> Vec<Stage> {
        let mut stages = self
            .stages
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        stages.sort_by_key(|s| s.start);
        stages
    }

    /// A table of the stages: name, duration, and when each ran.
    pub fn table(&self) -> String {
        let mut out = String::from("stage              time     from      to\n");
        for s in self.stages() {
            out.push_str(&format!(
                "{:<16} {:>7.3}s {:>7.3}s {:>7.3}s\n",
                s.name,
                (s.end - s.start).as_secs_f64(),
                s.start.as_secs_f64(),
                s.end.as_secs_f64()
            ));
        }
        out.push_str(&format!(
            "{:<16} {:>7.3}s\n",
            "total",
            self.elapsed().as_secs_f64()
        ));
        out
    }
}

impl Drop for Timings {
    fn drop(&mut self) {
        self.finish();
    }
}

impl std::fmt::Debug for Timings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.stages()).finish()
    }
}

impl Default for Timings {
    fn default() -> Timings {
        Timings::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_keep_their_order_and_overlap() {
        let timings = Timings::new();
        let (a, b) = std::thread::scope(|scope| {
            let a = scope.spawn(|| timings.time("render", || 1));
            let b = scope.spawn(|| timings.time("index", || 2));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a, b), (1, 2));
        timings.time("write", || ());
        let stages = timings.stages();
        let names: Vec<_> = stages.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), 3);
        assert_eq!(names[2], "write");
        assert!(stages.windows(2).all(|w| w[0].start <= w[1].start));
        assert!(stages.iter().all(|s| s.start <= s.end));
        let table = timings.table();
        assert!(table.contains("render") && table.contains("total"));
    }
}
