//! Runs the real `litellm-analytics` binary as a child process, for what only a process can
//! show: signals, exit codes, the log it writes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct RunningBinary {
    pub child: Child,
    pub address: String,
    logs: Arc<Mutex<Vec<String>>>,
}

impl RunningBinary {
    /// Starts the binary with `env` (on 127.0.0.1, a random port) and waits for it to listen.
    /// Without API_KEYS in `env` it runs open (ALLOW_OPEN_API=true, which `env` may override).
    pub fn start(env: &[(&str, &str)]) -> RunningBinary {
        let mut binary = Self::spawn(env);
        let line = binary.wait_for_log("listening on http://", Duration::from_secs(20));
        let port = line
            .split("listening on http://127.0.0.1:")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .expect("port in the start-up line");
        binary.address = format!("http://127.0.0.1:{port}");
        binary
    }

    /// Starts the binary with `env` without waiting for it to listen (for start-up failures).
    pub fn spawn(env: &[(&str, &str)]) -> RunningBinary {
        let mut child = Command::new(env!("CARGO_BIN_EXE_litellm-analytics"))
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .env("HTTP_WORKERS", "2")
            .env("RUST_LOG", "info")
            .env("ALLOW_OPEN_API", "true")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start the binary");
        let logs = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().expect("log lock").push(line);
            }
        });
        RunningBinary {
            child,
            address: String::new(),
            logs,
        }
    }

    /// The first log line containing `needle`, waiting up to `timeout` for it.
    pub fn wait_for_log(&mut self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.logs().into_iter().find(|l| l.contains(needle)) {
                return line;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "binary exited ({status}) before logging {needle:?}:\n{}",
                    self.logs().join("\n")
                );
            }
            assert!(
                Instant::now() < deadline,
                "no {needle:?} in the log:\n{}",
                self.logs().join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn logs(&self) -> Vec<String> {
        self.logs.lock().expect("log lock").clone()
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits up to `timeout` for the process to exit; returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "binary did not exit within {timeout:?}:\n{}",
            self.logs().join("\n")
        );
    }
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
