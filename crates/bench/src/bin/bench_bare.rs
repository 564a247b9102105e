//! `bench-bare --bind ADDR`: a bare actix-web server whose `GET /job` serialises a job-shaped
//! JSON document on every request; `scripts/bench` measures the service against it.

use actix_web::{web, App, HttpResponse, HttpServer};
use clap::Parser;
use serde_json::Value;

/// Options.
#[derive(Debug, Parser)]
struct Args {
    /// Listen address.
    #[arg(long, default_value = "127.0.0.1:18080")]
    bind: String,
}

async fn job(doc: web::Data<Value>) -> HttpResponse {
    HttpResponse::Ok().json(doc.get_ref())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    let doc = web::Data::new(bench::bare::job_like());
    // As many workers as the service runs (one per core).
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    HttpServer::new(move || {
        App::new()
            .app_data(doc.clone())
            .route("/job", web::get().to(job))
    })
    .workers(workers)
    .bind(&args.bind)?
    .run()
    .await
}
