//! A private PostgreSQL server of the test's own (initdb in a temporary directory, its own port,
//! password authentication), so a test can really stop and start Postgres without touching the
//! shared server other tests use. Needs the PostgreSQL server binaries (Debian: postgresql);
//! when run as root, the server runs as the `postgres` user.

use std::path::PathBuf;
use std::process::Command;

use super::{connect, rows::Row};

pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    pub password: String,
}

/// Where initdb and pg_ctl live: $PG_BIN, else the newest /usr/lib/postgresql/<v>/bin.
fn server_binaries() -> PathBuf {
    if let Ok(bin) = std::env::var("PG_BIN") {
        return PathBuf::from(bin);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL server binaries under /usr/lib/postgresql (or set PG_BIN)")
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_ctl").exists())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("pg_ctl under /usr/lib/postgresql/*/bin")
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Cluster {
    /// initdb and start a server whose `postgres` user has `password` (scram over TCP).
    pub fn start(password: &str) -> Cluster {
        let dir = std::env::temp_dir().join(format!("la-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = Cluster {
            dir,
            bin: server_binaries(),
            port: free_port(),
            password: password.to_string(),
        };
        let pwfile = cluster.dir.join("pwfile");
        std::fs::write(&pwfile, password).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&cluster.dir)
                .status()
                .unwrap();
            assert!(status.success(), "chown the cluster directory");
        }
        let data = cluster.data();
        cluster.run(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth-local=trust",
                "--auth-host=scram-sha-256",
                "--pwfile",
                pwfile.to_str().unwrap(),
                "--no-sync",
                "-E",
                "UTF8",
            ],
        );
        cluster.start_server();
        cluster
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// A server binary's command, run as `postgres` when we are root (Postgres refuses root).
    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if is_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(path);
            command
        } else {
            Command::new(path)
        }
    }

    /// Runs a server binary, panicking on failure.
    fn run(&self, program: &str, args: &[&str]) {
        let output = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"));
        assert!(
            output.status.success(),
            "{program} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_server(&self) {
        let options = format!(
            "-p {} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }

    /// Stops the server at once (`-m immediate`: connections are cut, as in a crash).
    pub fn stop_server(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    pub fn url(&self, password: &str, dbname: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/{dbname}",
            self.port
        )
    }

    /// Creates database `dbname` with LiteLLM's table and `rows` in it.
    pub async fn create_database(&self, dbname: &str, rows: &[Row]) {
        let admin = connect(&self.url(&self.password, "postgres")).await;
        admin
            .batch_execute(&format!("CREATE DATABASE \"{dbname}\""))
            .await
            .unwrap();
        let client = connect(&self.url(&self.password, dbname)).await;
        client
            .batch_execute(super::db::LITELLM_SCHEMA)
            .await
            .unwrap();
        for row in rows {
            row.insert(&client).await;
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["-D", data.to_str().unwrap(), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
