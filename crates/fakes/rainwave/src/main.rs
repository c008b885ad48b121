//! `fake-rainwave [--port 8081] [--user-id 4242] [--key demo-key] [--rotate-secs N]`:
//! the local Rainwave on loopback. Point the hub at it with
//! `RAINWAVE_API_URL=http://127.0.0.1:<port>/api4`, `RAINWAVE_USER_ID` and
//! `RAINWAVE_API_KEY`. With `--rotate-secs`, the song changes on its own (the demo).

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::stderr)
        .init();
    let (mut port, mut user, mut key, mut rotate) =
        (8081u16, "4242".to_string(), "demo-key".to_string(), 0u64);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next();
        match (a.as_str(), v) {
            ("--port", Some(p)) if p.parse::<u16>().is_ok() => port = p.parse().unwrap_or(port),
            ("--user-id", Some(u)) => user = u,
            ("--key", Some(k)) => key = k,
            ("--rotate-secs", Some(s)) if s.parse::<u64>().is_ok() => {
                rotate = s.parse().unwrap_or(0)
            }
            _ => {
                eprintln!(
                    "usage: fake-rainwave [--port N] [--user-id ID] [--key KEY] [--rotate-secs N]"
                );
                std::process::exit(2);
            }
        }
    }
    let (fake, addr) =
        fake_rainwave::FakeRainwave::start(([127, 0, 0, 1], port).into(), &user, &key).await?;
    eprintln!("fake-rainwave: RAINWAVE_API_URL=http://{addr}/api4 RAINWAVE_USER_ID={user} RAINWAVE_API_KEY={key}");
    if rotate > 0 {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(rotate));
            every.tick().await;
            loop {
                every.tick().await;
                fake.next_song();
            }
        });
    }
    tokio::signal::ctrl_c().await
}
