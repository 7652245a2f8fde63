#include "hyperion/storage/executor.hpp"

#include <vector>

namespace hyperion::storage {

Executor::Executor(Database& db, ErrorHandler on_error) : db_(db), on_error_(std::move(on_error)) {}

Executor::~Executor() { stop(); }

void Executor::start() {
  std::lock_guard lock(mutex_);
  if (started_) return;
  started_ = true;
  thread_ = std::thread([this] { run(); });
}

void Executor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(mutex_);
  stopped_ = true;
  queue_.clear();  // posted after the thread drained the queue (or never started): dropped
}

void Executor::post(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    queue_.push_back({std::move(job), false});
  }
  cv_.notify_one();
}

void Executor::post_batchable(Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    queue_.push_back({std::move(job), true});
  }
  cv_.notify_one();
}

std::size_t Executor::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

std::uint64_t Executor::batches_committed() const {
  std::lock_guard lock(mutex_);
  return batches_;
}

void Executor::run_one(const Job& job) {
  try {
    job();
  } catch (const std::exception& e) {
    if (on_error_) on_error_(e.what());
  } catch (...) {
    if (on_error_) on_error_("a database job threw something that is not an exception");
  }
}

void Executor::run() {
  for (;;) {
    std::vector<Entry> work;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything ran
      // One plain job, or every batchable job at the front of the queue.
      const bool batch = queue_.front().batchable;
      do {
        work.push_back(std::move(queue_.front()));
        queue_.pop_front();
      } while (batch && !queue_.empty() && queue_.front().batchable);
    }
    if (work.size() == 1 || !work.front().batchable) {
      for (const auto& e : work) run_one(e.job);
      continue;
    }
    try {
      db_.transaction([&] {
        for (const auto& e : work) e.job();
      });
      std::lock_guard lock(mutex_);
      ++batches_;
    } catch (const std::exception&) {
      // Rolled back: each job again on its own, so that only the bad one fails.
      for (const auto& e : work) run_one(e.job);
    }
  }
}

}  // namespace hyperion::storage
