//! `fake-llm [--port 1234]`: the local OpenAI-compatible server on loopback. Point
//! seed at it with `SEED_LMS__API_URL=http://127.0.0.1:<port>/v1`.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter("info")
        .with_writer(std::io::stderr)
        .init();
    let mut port = 1234u16;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match (a.as_str(), args.next().and_then(|p| p.parse().ok())) {
            ("--port", Some(p)) => port = p,
            _ => {
                eprintln!("usage: fake-llm [--port N]");
                std::process::exit(2);
            }
        }
    }
    let (_fake, addr) = fake_llm::FakeLlm::start(([127, 0, 0, 1], port).into()).await?;
    eprintln!("fake-llm: SEED_LMS__API_URL=http://{addr}/v1");
    tokio::signal::ctrl_c().await
}
