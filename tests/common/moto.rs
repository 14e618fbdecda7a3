//! A local `moto_server` (the AWS API emulator) for tests that drive the real aws CLI.
//!
//! It listens on 127.0.0.1 only, on a free port, and is stopped by its pid (its whole process
//! group) when dropped. [`Moto::env`] points the CLI at it and away from anything real: every
//! `AWS_*` variable of the test's own environment is removed, the credentials are dummies, the
//! config files do not exist, and HTTP(S) proxies point at a closed local port, so a request the
//! CLI would send past `AWS_ENDPOINT_URL` (aws CLI 1.x sends `rds` in us-east-1 to
//! `rds.amazonaws.com` whatever the endpoint says) fails on this machine instead of leaving it.
//!
//! Self-contained (std, nix, tempfile), so a benchmark can include it with `#[path]`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long moto may take to answer after it was started.
const START_LIMIT: Duration = Duration::from_secs(30);

/// A running `moto_server`.
pub(crate) struct Moto {
    /// `None` once stopped, so its pid is never signalled after it was reaped.
    child: Option<Child>,
    port: u16,
    dir: TempDir,
}

impl Moto {
    /// Starts `moto_server` on a free port of 127.0.0.1 and waits until it answers.
    pub(crate) fn start() -> Moto {
        let mut dir = tempfile::tempdir().expect("temp dir");
        // Another process may take the port between our probe and moto's bind: try again then.
        for _ in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("moto.log")).expect("moto log");
            let child = Command::new("moto_server")
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .process_group(0)
                .spawn()
                .expect("start moto_server (installed by .ci/run: pip install 'moto[server]')");
            let mut moto = Moto { child: Some(child), port, dir };
            if moto.wait_until_ready() {
                return moto;
            }
            let log = moto.log();
            assert!(
                log.contains("Address already in use"),
                "moto_server did not answer on 127.0.0.1:{port}; its log:\n{log}"
            );
            // Stop it by its pid, and keep the temp dir for the next try.
            dir = moto.stop();
        }
        panic!("moto_server found no free port in five tries")
    }

    /// Stops the server and hands back its temp dir.
    fn stop(mut self) -> TempDir {
        self.kill();
        std::mem::replace(&mut self.dir, tempfile::tempdir().expect("temp dir"))
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            // Its own process group: moto_server may be a launcher's child (a pyenv shim).
            let group = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
            let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
            let _ = child.wait();
        }
    }

    fn wait_until_ready(&mut self) -> bool {
        let start = Instant::now();
        while start.elapsed() < START_LIMIT {
            if self.child.as_mut().is_none_or(|child| matches!(child.try_wait(), Ok(Some(_)))) {
                return false;
            }
            if answers(self.port) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// moto's output so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("moto.log")).unwrap_or_default()
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The changes to the test's environment that point the aws CLI at this server and at
    /// nothing else (see the module doc).
    pub(crate) fn env(&self) -> Vec<(OsString, Option<OsString>)> {
        let nowhere = self.dir.path().join("nowhere");
        let set: Vec<(&str, OsString)> = vec![
            ("AWS_ENDPOINT_URL", self.endpoint().into()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_CONFIG_FILE", nowhere.join("config").into()),
            ("AWS_SHARED_CREDENTIALS_FILE", nowhere.join("credentials").into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            // moto answers at once or not at all (a 500 for what it does not implement).
            ("AWS_RETRY_MODE", "standard".into()),
            ("AWS_MAX_ATTEMPTS", "1".into()),
            ("AWS_PAGER", "".into()),
            ("HTTPS_PROXY", "http://127.0.0.1:9".into()),
            ("HTTP_PROXY", "http://127.0.0.1:9".into()),
            ("https_proxy", "http://127.0.0.1:9".into()),
            ("http_proxy", "http://127.0.0.1:9".into()),
            ("NO_PROXY", "127.0.0.1".into()),
            ("no_proxy", "127.0.0.1".into()),
        ];
        let mut env: Vec<(OsString, Option<OsString>)> = std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| {
                let name = name.to_string_lossy();
                (name.starts_with("AWS_") || name.eq_ignore_ascii_case("all_proxy"))
                    && !set.iter().any(|(s, _)| *s == name)
            })
            .map(|name| (name, None))
            .collect();
        env.extend(set.into_iter().map(|(name, value)| (name.into(), Some(value))));
        env
    }

    /// The environment for a program that runs the aws CLI itself (`closeacct check`): [`Moto::env`],
    /// and first on `PATH` a stand-in `aws` that runs the real one with `--endpoint-url` (aws CLI
    /// 1.x sends `rds` in us-east-1 to `rds.amazonaws.com` whatever `AWS_ENDPOINT_URL` says) and
    /// narrows `ec2 describe-regions` to `regions`: moto enables all 38 regions, and a check over
    /// all of them costs 38 CLI starts. The stand-in changes nothing else; the commands a check
    /// runs reach moto through the real CLI.
    pub(crate) fn cli_env(&self, regions: &[&str]) -> Vec<(OsString, Option<OsString>)> {
        let real = std::env::var_os("PATH")
            .into_iter()
            .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .map(|dir| dir.join("aws"))
            .find(|candidate| candidate.is_file())
            .expect("the aws CLI on PATH (installed by .ci/run: pip install awscli)");
        let bin = self.dir.path().join("bin");
        std::fs::create_dir_all(&bin).expect("stand-in dir");
        let script = format!(
            "#!/bin/sh\n# closeacct tests: the real aws CLI against moto, over the regions {regions:?} only.\ncase \" $* \" in\n*\" describe-regions \"*) exec '{real}' --endpoint-url \"$AWS_ENDPOINT_URL\" \"$@\" --region-names {names} ;;\nesac\nexec '{real}' --endpoint-url \"$AWS_ENDPOINT_URL\" \"$@\"\n",
            real = real.display(),
            names = regions.join(" "),
        );
        let stand_in = bin.join("aws");
        std::fs::write(&stand_in, script).expect("write the stand-in");
        std::fs::set_permissions(&stand_in, std::os::unix::fs::PermissionsExt::from_mode(0o755)).expect("chmod");
        let mut path = vec![bin];
        path.extend(
            std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default(),
        );
        let mut env = self.env();
        env.push(("PATH".into(), Some(std::env::join_paths(path).expect("PATH"))));
        env
    }

    /// Runs the aws CLI against this server; returns its output whatever the exit code.
    pub(crate) fn try_aws(&self, args: &[&str]) -> Output {
        let mut command = Command::new("aws");
        command.args(args).stdin(Stdio::null());
        for (name, value) in self.env() {
            match value {
                Some(value) => command.env(name, value),
                None => command.env_remove(name),
            };
        }
        command.output().expect("run the aws CLI (installed by .ci/run: pip install awscli)")
    }

    /// Runs the aws CLI against this server; it must succeed. Returns stdout, trimmed.
    #[track_caller]
    pub(crate) fn aws(&self, args: &[&str]) -> String {
        let out = self.try_aws(args);
        assert!(out.status.success(), "aws {args:?}: {}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Runs the aws CLI with `--output text`; returns the whitespace-separated words printed.
    #[track_caller]
    pub(crate) fn aws_words(&self, args: &[&str]) -> Vec<String> {
        let mut args = args.to_vec();
        args.extend_from_slice(&["--output", "text"]);
        self.aws(&args).split_whitespace().map(str::to_owned).collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A port nothing listens on right now, on 127.0.0.1.
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local address").port()
}

/// Whether moto answers `GET /moto-api/` with 200.
fn answers(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&address, Duration::from_millis(200)) else { return false };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    if stream.write_all(b"GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut status = [0; 12];
    stream.read_exact(&mut status).is_ok() && status.starts_with(b"HTTP/1.") && status.ends_with(b"200")
}
