//! A TCP balancer on 127.0.0.1 for tests of several instances: each new connection goes to the next
//! backend in turn (one that refuses is skipped), and bytes are copied both ways, so plain HTTP, WebSocket
//! upgrades and webhooks pass through unchanged, as through any HTTP balancer. It serves on a thread of its
//! own, like the fake Bot API.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The balancer, serving until dropped.
pub struct Balancer {
    pub addr: SocketAddr,
    backends: Arc<Mutex<Vec<SocketAddr>>>,
    stop: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl Balancer {
    /// A balancer on a free port with no backends yet (connections are closed until there are some).
    pub fn start() -> Balancer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the balancer");
        let addr = listener.local_addr().expect("the balancer's address");
        listener.set_nonblocking(true).expect("a non-blocking listener");
        let backends = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = watch::channel(false);
        let serving = backends.clone();
        let thread = std::thread::Builder::new()
            .name("balancer".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("the balancer's runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("a tokio listener");
                    accept(listener, serving, stopped).await;
                });
            })
            .expect("start the balancer's thread");
        Balancer {
            addr,
            backends,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where connections go from now on.
    pub fn set_backends(&self, backends: Vec<SocketAddr>) {
        *self.backends.lock().expect("the backends") = backends;
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept(listener: TcpListener, backends: Arc<Mutex<Vec<SocketAddr>>>, mut stopped: watch::Receiver<bool>) {
    let next = Arc::new(AtomicUsize::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((client, _)) = accepted else { continue };
                let candidates = backends.lock().expect("the backends").clone();
                let first = next.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(async move {
                    let _ = client.set_nodelay(true);
                    for i in 0..candidates.len() {
                        let backend = candidates[(first + i) % candidates.len()];
                        if let Ok(server) = TcpStream::connect(backend).await {
                            let _ = server.set_nodelay(true);
                            let (mut client, mut server) = (client, server);
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                            return;
                        }
                    }
                });
            }
            _ = stopped.changed() => return,
        }
    }
}
