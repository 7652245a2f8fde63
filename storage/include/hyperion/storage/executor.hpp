#pragma once

// The database's thread: one thread, one queue, in order. Everything that touches the
// database runs here (the accounts' blocking routes, the audit log, and next the history
// writer and the alert evaluator), so one connection serves all and needs no lock. Jobs posted
// as batchable run, when several are queued together, in one transaction: a burst of small
// writes costs one commit. A job that throws is reported to the error handler and does not
// stop the thread; in a batch, the batch is rolled back and its jobs run again one by one, so
// one bad job loses no one else's writes.

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "hyperion/storage/database.hpp"

namespace hyperion::storage {

class Executor {
 public:
  using Job = std::function<void()>;
  using ErrorHandler = std::function<void(const std::string&)>;

  // `db` is used only on the executor's thread once it started.
  explicit Executor(Database& db, ErrorHandler on_error = {});
  ~Executor();  // stops
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  void start();
  // Runs every job already queued, then joins. Jobs posted afterwards are dropped. Idempotent.
  void stop();

  // Any thread. A job runs on its own (a transaction is the job's business).
  void post(Job job);
  // Any thread. A write the caller allows to share a transaction with its neighbours.
  void post_batchable(Job job);

  // Jobs waiting, and transactions committed for batches (for /metrics and tests).
  std::size_t queued() const;
  std::uint64_t batches_committed() const;

 private:
  struct Entry {
    Job job;
    bool batchable = false;
  };
  void run();
  void run_one(const Job& job);

  Database& db_;
  ErrorHandler on_error_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Entry> queue_;
  bool stopping_ = false;
  bool stopped_ = false;
  bool started_ = false;
  std::uint64_t batches_ = 0;
  std::thread thread_;
};

}  // namespace hyperion::storage
