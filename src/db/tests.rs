//! The database layer against a real SQLite file.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::result::Error as DieselError;

use super::{ConnectionManager, DatabaseUrl, Db, PoolSettings, SQLITE_BUSY_TIMEOUT, Unavailable};

/// The errors a write in these tests can end with.
#[derive(Debug)]
enum Failed {
    Unavailable,
    Database(DieselError),
}

impl From<Unavailable> for Failed {
    fn from(_: Unavailable) -> Failed {
        Failed::Unavailable
    }
}

impl From<DieselError> for Failed {
    fn from(error: DieselError) -> Failed {
        Failed::Database(error)
    }
}

const POOL: u32 = 3;

/// A background write waits out a write lock held longer than SQLite's `busy_timeout` (a long
/// purchase batch), where a request's write gives up; and its connection goes back to the pool
/// with the usual timeout. SQLite only: PostgreSQL has no database-wide write lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_background_write_outwaits_a_long_batch() {
    let dir = tempfile::tempdir().unwrap();
    let url = DatabaseUrl::parse(&format!(
        "sqlite://{}",
        dir.path().join("patience.db").display()
    ))
    .unwrap();
    let settings = PoolSettings {
        max_size: POOL,
        checkout_timeout: Duration::from_secs(30),
        statement_timeout: Duration::from_secs(30),
    };
    let db = Db::new(&url, &settings);
    let insert = |x: i32| {
        move |conn: &mut super::DbConn| {
            conn.batch_execute(&format!("INSERT INTO t (x) VALUES ({x})"))
                .map_err(Failed::from)
        }
    };
    db.write(|conn| {
        conn.batch_execute("CREATE TABLE t (x INTEGER)")
            .map_err(Failed::from)
    })
    .await
    .unwrap();

    // Another connection takes the write lock and keeps it past the timeout, as a batch does.
    let held = SQLITE_BUSY_TIMEOUT + Duration::from_secs(2);
    let (locked, taken) = tokio::sync::oneshot::channel();
    let manager = ConnectionManager::new(url.clone(), settings.statement_timeout);
    let holder = tokio::task::spawn_blocking(move || {
        let mut conn = manager.establish().unwrap();
        conn.batch_execute("BEGIN IMMEDIATE; INSERT INTO t (x) VALUES (0)")
            .unwrap();
        locked.send(()).unwrap();
        std::thread::sleep(held);
        conn.batch_execute("COMMIT").unwrap();
    });
    taken.await.unwrap();
    let (request, background) = tokio::join!(db.write(insert(1)), db.write_patiently(insert(2)));
    holder.await.unwrap();
    match request {
        Err(Failed::Database(e)) => assert!(e.to_string().contains("locked"), "{e}"),
        other => panic!("a request's write waited out the lock: {other:?}"),
    }
    background.expect("the background write gave up on the lock");

    let rows: Vec<i32> = db
        .read(|conn| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct Row {
                #[diesel(sql_type = diesel::sql_types::Integer)]
                x: i32,
            }
            diesel::sql_query("SELECT x FROM t ORDER BY x")
                .load::<Row>(conn)
                .map(|rows| rows.into_iter().map(|r| r.x).collect())
                .map_err(Failed::from)
        })
        .await
        .unwrap();
    assert_eq!(rows, [0, 2]);

    // Every pooled connection (taken all at once) waits the usual time again.
    let pooled: Vec<_> = (0..POOL).map(|_| db.conn().unwrap()).collect();
    for mut conn in pooled {
        #[derive(diesel::QueryableByName)]
        struct Timeout {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            timeout: i64,
        }
        use diesel::RunQueryDsl;
        let found: Timeout = diesel::sql_query("SELECT timeout FROM pragma_busy_timeout")
            .get_result(&mut *conn)
            .unwrap();
        assert_eq!(found.timeout, SQLITE_BUSY_TIMEOUT.as_millis() as i64);
    }
}
