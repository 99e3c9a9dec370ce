#pragma once
// A private PostgreSQL for tests and benchmarks: `initdb` into a temp dir, `postgres` on a free
// port on 127.0.0.1 (trust authentication for one user, `stockwire`, on loopback only), stopped
// and removed on destruction. PostgreSQL refuses to run as root: as root (CI) the server runs
// as an unprivileged user (SW_PG_USER, else `postgres` if that user exists, else `nobody`),
// started through setpriv(1) so that the pid we hold is the server's own. The server's binaries
// come from SW_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin (Debian's layout).

#include <sys/types.h>

#include <string>

#include "sw/harness/process.h"

namespace sw::test {

class Postgres {
 public:
  struct Options {
    // false: fsync and full_page_writes off (a test's data need not survive a power cut of the
    // machine; a killed server keeps every commit); true: the server's defaults, for benchmarks.
    bool durable = false;
    int max_connections = 100;
    // The server gets SIGINT when the thread that started it ends (PR_SET_PDEATHSIG through
    // setpriv), so a test process that dies without its destructors leaves no server behind.
    // Off where a short-lived thread restarts the server (tools/chaos's nemesis).
    bool stop_with_starting_thread = true;
  };
  Postgres();
  explicit Postgres(Options options);
  ~Postgres();
  Postgres(const Postgres&) = delete;
  Postgres& operator=(const Postgres&) = delete;

  void start();   // initdb on the first start; throws with the server's log when it fails
  void stop();    // SIGINT: fast shutdown
  void kill9();   // SIGKILL the server: the postmaster and every backend
  bool running();
  int port() const { return port_; }
  pid_t pid() const { return child_.pid(); }  // the postmaster
  // A new, empty database; returns its URL.
  std::string createDatabase(const std::string& name);
  // postgresql://stockwire@127.0.0.1:PORT/DB
  std::string url(const std::string& database = "postgres") const;
  // Runs SQL with psql against a database; returns its stdout (throws on failure).
  std::string psql(const std::string& database, const std::string& sql);
  std::string log() const { return child_.stderrText(); }  // the server's log (this start)
  static std::string binDir();
  // Whether a PostgreSQL server is installed here (tests skip with a reason if not).
  static bool available();

 private:
  std::vector<std::string> asServerUser(std::vector<std::string> argv) const;
  Options options_;
  TempDir dir_;
  std::string data_;
  int port_;
  bool initialised_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  Child child_;
};

}  // namespace sw::test
