//! `tessera-ceiling BIND BODY_FILE`: answers every `GET` with the JSON in
//! BODY_FILE, read once at start. What actix-web alone can do on this
//! machine, against which bench/run.sh measures tessera.

use actix_web::http::header::ContentType;
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpResponse, HttpServer};

async fn body(data: web::Data<Bytes>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(ContentType::json())
        .body(data.get_ref().clone())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(bind), Some(file)) = (args.next(), args.next()) else {
        eprintln!("usage: tessera-ceiling BIND BODY_FILE");
        std::process::exit(2);
    };
    let data = web::Data::new(Bytes::from(std::fs::read(&file)?));
    actix_web::rt::System::new().block_on(async move {
        HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .default_service(web::get().to(body))
        })
        .bind(&bind)?
        .run()
        .await
    })
}
