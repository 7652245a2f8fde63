// The database's thread: order, batching into one transaction, a failing job, stop.

#include "hyperion/storage/executor.hpp"

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

using namespace hyperion::storage;

namespace {

std::int64_t rows(Database& db) {
  auto s = db.prepare("SELECT count(*) FROM t");
  s.step();
  return s.int64(0);
}

}  // namespace

TEST_CASE("Executor: jobs run on one thread, in the order posted", "[storage][executor]") {
  auto db = Database::in_memory();
  Executor ex(db);
  std::vector<int> order;
  std::thread::id runner;
  bool one_thread = true;
  for (int i = 0; i < 100; ++i) {
    ex.post([&, i] {
      if (runner == std::thread::id{}) runner = std::this_thread::get_id();
      one_thread = one_thread && runner == std::this_thread::get_id();
      order.push_back(i);
    });
  }
  ex.start();
  ex.stop();  // runs what is queued
  REQUIRE(order.size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(order[static_cast<std::size_t>(i)] == i);
  CHECK(one_thread);
  CHECK(runner != std::this_thread::get_id());
  bool ran = false;
  ex.post([&] { ran = true; });  // after stop: dropped
  CHECK_FALSE(ran);
  CHECK(ex.queued() == 0);
}

TEST_CASE("Executor: batchable writes queued together share one transaction; a bad one loses nobody's",
          "[storage][executor]") {
  auto db = Database::in_memory();
  db.exec("CREATE TABLE t (v INTEGER NOT NULL UNIQUE)");
  std::vector<std::string> errors;
  Executor ex(db, [&](const std::string& e) { errors.push_back(e); });
  // Queued before the thread starts, so they are all at the front together.
  for (int i = 0; i < 50; ++i) ex.post_batchable([&db, i] { db.prepare("INSERT INTO t (v) VALUES (?)").bind(1, i).run(); });
  ex.start();
  ex.stop();
  CHECK(rows(db) == 50);
  CHECK(ex.batches_committed() == 1);
  CHECK(errors.empty());

  Executor again(db, [&](const std::string& e) { errors.push_back(e); });
  again.post_batchable([&db] { db.prepare("INSERT INTO t (v) VALUES (100)").run(); });
  again.post_batchable([&db] { db.prepare("INSERT INTO t (v) VALUES (1)").run(); });  // a duplicate: fails
  again.post_batchable([&db] { db.prepare("INSERT INTO t (v) VALUES (101)").run(); });
  again.start();
  again.stop();
  CHECK(rows(db) == 52);  // 100 and 101 kept, the duplicate alone refused
  CHECK(again.batches_committed() == 0);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].find("UNIQUE") != std::string::npos);
}

TEST_CASE("Executor: a job that throws is reported and the thread carries on", "[storage][executor]") {
  auto db = Database::in_memory();
  std::vector<std::string> errors;
  Executor ex(db, [&](const std::string& e) { errors.push_back(e); });
  ex.start();
  ex.post([] { throw std::runtime_error("disk full"); });
  std::promise<bool> done;
  ex.post([&] { done.set_value(true); });
  CHECK(done.get_future().get());
  ex.stop();
  REQUIRE(errors.size() == 1);
  CHECK(errors[0] == "disk full");
}
