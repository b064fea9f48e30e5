//! A real OpenLDAP `slapd` for the LDAP tests: a temp directory with a `slapd.conf`, an MDB
//! database loaded by `slapadd` with a small tree (users with `userPassword`, `groupOfNames`
//! with a nested group; slapadd gives every entry its `entryUUID`), run in the foreground on
//! a free loopback port, stopped and started again by the test, killed on drop.
//!
//! `samba`: a Samba Active Directory DC for the AD tests. The portal-side helpers below (a
//! portal on a directory config, the RDP gate, enrollment, `directory test`) serve both.
//!
//! Without slapd the tests skip, unless `TWOFOLD_E2E_REQUIRE_TOOLS=1` (the Makefile sets it),
//! where a missing tool fails them.

#![allow(dead_code)]

pub mod samba;

use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=example,dc=com";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=com";
pub const ROOT_PW: &str = "root-secret";
pub const SERVICE_DN: &str = "cn=twofold,ou=services,dc=example,dc=com";
pub const SERVICE_PW: &str = "service-secret";

/// ann and ben: staff only. cat: in `admins`, which is a member of `twofa` (nested).
/// dan: staff, but his entry is outside the user filter (no inetOrgPerson), so unknown.
const TREE: &str = "\
dn: dc=example,dc=com
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: ou=services,dc=example,dc=com
objectClass: organizationalUnit
ou: services

dn: cn=twofold,ou=services,dc=example,dc=com
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: twofold
userPassword: service-secret

dn: uid=ann,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ann
cn: Ann Archer
sn: Archer
userPassword: ann-password

dn: uid=ben,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: ben
cn: Ben Baker
sn: Baker
userPassword: ben-password

dn: uid=cat,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: cat
cn: Cat Cooper
sn: Cooper
userPassword: cat-password

dn: cn=staff,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: staff
member: uid=ann,ou=people,dc=example,dc=com
member: uid=ben,ou=people,dc=example,dc=com

dn: cn=admins,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: admins
member: uid=cat,ou=people,dc=example,dc=com

dn: cn=twofa,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: twofa
member: cn=admins,ou=groups,dc=example,dc=com
";

pub struct Slapd {
    pub dir: tempfile::TempDir,
    pub port: u16,
    /// The `ldaps://` port when started with TLS.
    pub tls_port: Option<u16>,
    child: Option<Child>,
}

/// The path of `tool`, or `None` (skip) / a panic (required) when it is missing.
fn tool(name: &str) -> Option<PathBuf> {
    let found = ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists());
    if found.is_none() {
        if std::env::var("TWOFOLD_E2E_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("{name} is missing (scripts/install-deps.sh installs it)");
        }
        eprintln!("skipping: {name} is not installed");
    }
    found
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Slapd {
    /// A loaded directory, running; `None` when slapd is not installed (and not required).
    pub fn start() -> Option<Slapd> {
        Slapd::start_with(false, "")
    }

    /// As [`Slapd::start`] with the LDIF entries `extra` loaded by `slapadd` beside the small
    /// tree (offline: 10,000 users take ~0.2 s, where `ldapadd` takes seconds).
    pub fn start_with_entries(extra: &str) -> Option<Slapd> {
        Slapd::start_with(false, extra)
    }

    /// As [`Slapd::start`], with a certificate for `localhost` and 127.0.0.1 from a CA made
    /// here (`ca.pem` in the temp dir): StartTLS on the `ldap://` port and an `ldaps://` port.
    pub fn start_tls() -> Option<Slapd> {
        Slapd::start_with(true, "")
    }

    fn start_with(tls: bool, extra: &str) -> Option<Slapd> {
        let slapadd = tool("slapadd")?;
        tool("slapd")?;
        tool("ldapmodify")?;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("db")).unwrap();
        let tls_lines = if tls {
            make_certificates(dir.path())?;
            let d = dir.path().display();
            format!(
                "TLSCACertificateFile {d}/ca.pem\nTLSCertificateFile {d}/server.pem\n\
                 TLSCertificateKeyFile {d}/server.key\n"
            )
        } else {
            String::new()
        };
        let conf = format!(
            "{tls_lines}include /etc/ldap/schema/core.schema\n\
             include /etc/ldap/schema/cosine.schema\n\
             include /etc/ldap/schema/inetorgperson.schema\n\
             include /etc/ldap/schema/nis.schema\n\
             modulepath /usr/lib/ldap\n\
             moduleload back_mdb\n\
             pidfile {dir}/slapd.pid\n\
             database mdb\n\
             maxsize 268435456\n\
             suffix \"{SUFFIX}\"\n\
             rootdn \"{ROOT_DN}\"\n\
             rootpw {ROOT_PW}\n\
             directory {dir}/db\n\
             limits dn.exact=\"{SERVICE_DN}\" size.prtotal=unlimited\n\
             access to attrs=userPassword by self read by anonymous auth by * none\n\
             access to * by users read by * none\n",
            dir = dir.path().display()
        );
        std::fs::write(dir.path().join("slapd.conf"), conf).unwrap();
        std::fs::write(dir.path().join("tree.ldif"), format!("{TREE}\n{extra}")).unwrap();
        // -q: no consistency checks while loading (10,000 entries in ~0.2 s instead of ~12 s).
        let out = Command::new(slapadd)
            .arg("-q")
            .arg("-f")
            .arg(dir.path().join("slapd.conf"))
            .arg("-l")
            .arg(dir.path().join("tree.ldif"))
            .output()
            .unwrap();
        assert!(out.status.success(), "slapadd failed: {}", String::from_utf8_lossy(&out.stderr));
        let tls_port = tls.then(free_port);
        let mut slapd = Slapd { dir, port: free_port(), tls_port, child: None };
        slapd.run();
        Some(slapd)
    }

    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }

    /// Starts slapd on the same port and database (after [`Slapd::stop`]).
    pub fn run(&mut self) {
        let child = Command::new(tool("slapd").unwrap())
            .arg("-f")
            .arg(self.dir.path().join("slapd.conf"))
            .arg("-h")
            .arg(match self.tls_port {
                Some(tls) => format!("ldap://127.0.0.1:{}/ ldaps://127.0.0.1:{tls}/", self.port),
                None => format!("ldap://127.0.0.1:{}/", self.port),
            })
            // -d keeps slapd in the foreground, so the test owns the process.
            .arg("-d")
            .arg("0")
            .stdout(Stdio::null())
            .stderr(Stdio::from(std::fs::File::create(self.dir.path().join("slapd.log")).unwrap()))
            .spawn()
            .expect("starting slapd");
        self.child = Some(child);
        let address: SocketAddr = ([127, 0, 0, 1], self.port).into();
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
            if let Some(Ok(Some(status))) = self.child.as_mut().map(|c| c.try_wait()) {
                let log =
                    std::fs::read_to_string(self.dir.path().join("slapd.log")).unwrap_or_default();
                panic!("slapd exited with {status}: {log}");
            }
            assert!(Instant::now() < deadline, "slapd did not listen on {address}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops slapd and waits until the port refuses connections.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // SIGTERM: slapd closes its database cleanly, so it starts again at once.
            // SAFETY: kill(2) on the pid of a child this struct owns and has not reaped.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Applies an LDIF change as the root DN (with `ldapmodify`).
    pub fn modify(&self, ldif: &str) {
        let mut child = Command::new(tool("ldapmodify").unwrap())
            .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PW])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(ldif.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "ldapmodify: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// What `ldapsearch` finds for `filter` under the suffix, searching as the service account
    /// with Simple Paged Results (as the portal does): the values of `attr`, in the server's
    /// order. The tests' independent view of the directory.
    pub fn search_values(&self, filter: &str, attr: &str) -> Vec<String> {
        let out = Command::new(tool("ldapsearch").expect("ldapsearch (ldap-utils)"))
            .args(["-x", "-LLL", "-o", "ldif-wrap=no", "-H", &self.url(), "-D", SERVICE_DN])
            .args(["-w", SERVICE_PW, "-b", SUFFIX, "-E", "pr=500/noprompt", filter, attr])
            .output()
            .unwrap();
        assert!(out.status.success(), "ldapsearch: {}", String::from_utf8_lossy(&out.stderr));
        let prefix = format!("{attr}: ");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix(&prefix))
            .map(str::to_string)
            .collect()
    }

    /// Renames the entry `dn` to `new_rdn` (with `ldapmodrdn`, the old RDN value removed); its
    /// `entryUUID` stays.
    pub fn rename(&self, dn: &str, new_rdn: &str) {
        let out = Command::new(tool("ldapmodrdn").unwrap())
            .args(["-x", "-H", &self.url(), "-D", ROOT_DN, "-w", ROOT_PW, "-r", dn, new_rdn])
            .output()
            .unwrap();
        assert!(out.status.success(), "ldapmodrdn: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Writes the service account's password file (0600) and a config file using the
    /// OpenLDAP preset; returns the config file's path.
    pub fn config_file(&self, extra: &str) -> PathBuf {
        let transport = format!("url = \"{}\"\nstarttls = false\n", self.url());
        self.config_file_with(&transport, extra)
    }

    /// As [`Slapd::config_file`] with `transport` (the `url`, `starttls`, `ca_file` lines).
    pub fn config_file_with(&self, transport: &str, extra: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let password = self.dir.path().join("ldap.password");
        std::fs::write(&password, format!("{SERVICE_PW}\n")).unwrap();
        std::fs::set_permissions(&password, std::fs::Permissions::from_mode(0o600)).unwrap();
        let path = self.dir.path().join("portal.toml");
        std::fs::write(
            &path,
            format!(
                "[directory]\npreset = \"openldap\"\n{transport}\
                 base = \"{SUFFIX}\"\nbind_dn = \"{SERVICE_DN}\"\n\
                 bind_password_file = \"ldap.password\"\n{extra}"
            ),
        )
        .unwrap();
        path
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A CA and a server certificate for `localhost` / 127.0.0.1 signed by it, with openssl.
fn make_certificates(dir: &Path) -> Option<()> {
    let openssl = tool("openssl")?;
    let run = |args: &[&str]| {
        let out = Command::new(&openssl).current_dir(dir).args(args).output().unwrap();
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Twofold LDAP test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=localhost",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]);
    Some(())
}
