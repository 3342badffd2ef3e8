//! The progress bar of `castor build` on a terminal: how many stages are
//! done and which ones run. It appears only once a build has run for half
//! a second, so a quick build prints nothing more than its one line, and
//! never when stderr is not a terminal or with `--quiet`.

use std::io::IsTerminal as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long a build runs before the bar appears.
const DELAY: Duration = Duration::from_millis(500);

pub struct Progress {
    bar: ProgressBar,
    running: Mutex<Vec<&'static str>>,
}

impl Progress {
    /// A bar for `stages` stages, or `None` when stderr is not a terminal.
    pub fn start(stages: u64) -> Option<Arc<Progress>> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let bar = ProgressBar::with_draw_target(Some(stages), ProgressDrawTarget::hidden());
        bar.set_style(
            ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        let progress = Arc::new(Progress {
            bar,
            running: Mutex::new(Vec::new()),
        });
        let shown = Arc::clone(&progress);
        std::thread::spawn(move || {
            std::thread::sleep(DELAY);
            // Under the lock `clear` takes, so a bar cleared meanwhile
            // stays hidden.
            let _running = shown.running.lock().unwrap_or_else(|e| e.into_inner());
            if !shown.bar.is_finished() {
                shown.bar.set_draw_target(ProgressDrawTarget::stderr());
                shown.bar.enable_steady_tick(Duration::from_millis(100));
            }
        });
        Some(progress)
    }

    pub fn started(&self, stage: &'static str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.push(stage);
        self.bar.set_message(running.join(", "));
    }

    pub fn finished(&self, stage: &'static str) {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        running.retain(|s| *s != stage);
        self.bar.set_message(running.join(", "));
        self.bar.inc(1);
    }

    /// Removes the bar, so the build's closing line stands alone.
    pub fn clear(&self) {
        let _running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        self.bar.finish_and_clear();
    }
}
