//! Sign-in load generator: N concurrent clients on loopback, each repeatedly loading the login
//! page and posting its password (user `benchNN`, password `bench-pass-NN`), for a fixed time.
//! Prints throughput, p50/p99 latency of the password POST, and the error count.
//!
//! Used by `scripts/bench-signin.sh`, which starts a release portal with those users, and by
//! `scripts/bench-signin-servers.sh` (several portals on one PostgreSQL).
//! Usage: bench_signin PORTAL_URL[,PORTAL_URL…] CLIENTS SECONDS — with several URLs, client i
//! signs in through URL i mod n (what a round-robin balancer does).

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let bases: Vec<String> = args
        .get(1)
        .map(|a| a.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["http://127.0.0.1:8080".into()]);
    let clients: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(50);
    let seconds: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(20);
    let deadline = Instant::now() + Duration::from_secs(seconds);

    let mut tasks = Vec::new();
    for i in 0..clients {
        let base = bases[i % bases.len()].clone();
        tasks.push(tokio::spawn(async move {
            // No cookie store: each round is a fresh visitor (a kept session cookie would make
            // the login page redirect home), so only the CSRF cookie is carried, by hand.
            let client =
                reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
            let (user, password) = (format!("bench{i:02}"), format!("bench-pass-{i:02}"));
            let mut latencies = Vec::new();
            let mut errors = 0u32;
            while Instant::now() < deadline {
                let login = client.get(format!("{base}/login")).send().await?;
                let csrf_cookie = login
                    .headers()
                    .get_all("set-cookie")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find(|v| v.starts_with("twofold_csrf="))
                    .and_then(|v| v.split(';').next())
                    .unwrap_or_default()
                    .to_string();
                let page = login.text().await?;
                let csrf = page
                    .split("name=\"csrf\" value=\"")
                    .nth(1)
                    .and_then(|rest| rest.split('"').next())
                    .unwrap_or_default()
                    .to_string();
                let started = Instant::now();
                let reply = client
                    .post(format!("{base}/login"))
                    .header("cookie", &csrf_cookie)
                    .form(&[
                        ("username", user.as_str()),
                        ("password", password.as_str()),
                        ("csrf", csrf.as_str()),
                    ])
                    .send()
                    .await?;
                latencies.push(started.elapsed());
                let signed_in = reply.status() == reqwest::StatusCode::SEE_OTHER
                    && reply.headers().get("location").and_then(|l| l.to_str().ok()) == Some("/");
                if !signed_in {
                    errors += 1;
                }
            }
            anyhow::Ok((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, e) = task.await??;
        all.extend(latencies);
        errors += e;
    }
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    println!("servers:      {}", bases.len());
    println!("clients:      {clients}");
    println!("duration:     {seconds} s");
    println!("sign-ins:     {}", all.len());
    println!("throughput:   {:.1} sign-ins/s", all.len() as f64 / seconds as f64);
    println!("p50 latency:  {:.1} ms", pct(0.50).as_secs_f64() * 1000.0);
    println!("p99 latency:  {:.1} ms", pct(0.99).as_secs_f64() * 1000.0);
    println!("errors:       {errors}");
    anyhow::ensure!(errors == 0, "{errors} sign-ins failed");
    Ok(())
}
