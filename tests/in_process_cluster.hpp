// A job of several ranks inside one test process, each rank a thread: the Cluster interface's
// data movements through shared memory and a barrier, so that what MPI ranks would compute can be
// checked on any machine, MPI or not.
#pragma once

#include <barrier>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "simdml/cluster.hpp"

namespace simdml::testing {

class InProcessJob {
 public:
  explicit InProcessJob(int ranks) : ranks_(ranks), sync_(ranks), board_(std::size_t(ranks)) {}

  // body(cluster) on every rank, each on a thread of its own; rethrows a rank's exception. Every
  // rank must make the same calls in the same order, as with MPI.
  template <class Body>
  void run(Body body) {
    std::vector<std::thread> threads;
    std::exception_ptr failure;
    std::mutex failure_lock;
    for (int r = 0; r < ranks_; ++r)
      threads.emplace_back([&, r] {
        Rank rank(*this, r);
        try {
          body(static_cast<Cluster&>(rank));
        } catch (...) {
          const std::lock_guard<std::mutex> hold(failure_lock);
          if (!failure) failure = std::current_exception();
        }
      });
    for (std::thread& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
  }

 private:
  using Bytes = std::vector<std::byte>;

  class Rank final : public Cluster {
   public:
    Rank(InProcessJob& job, int rank) : job_(job), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return job_.ranks_; }
    std::string description() const override { return "in-process ranks"; }
    void all_gather(std::span<const std::byte> mine, RankBytes& out) override {
      join(exchange(std::vector<Bytes>(std::size_t(size()), Bytes(mine.begin(), mine.end()))), out);
    }
    void all_to_all(std::span<const std::byte> sent, std::span<const std::size_t> counts,
                    RankBytes& out) override {
      if (counts.size() != std::size_t(size())) throw std::invalid_argument("one per rank");
      std::vector<Bytes> to_rank;
      for (std::size_t r = 0, at = 0; r < counts.size(); at += counts[r++])
        to_rank.emplace_back(sent.begin() + std::ptrdiff_t(at),
                             sent.begin() + std::ptrdiff_t(at + counts[r]));
      join(exchange(to_rank), out);
    }
    void broadcast(std::span<std::byte> data, int root) override {
      const Bytes value =
          exchange(std::vector<Bytes>(std::size_t(size()), Bytes(data.begin(), data.end())))[root];
      std::copy(value.begin(), value.end(), data.begin());
    }
    [[noreturn]] void abort(int) override { std::terminate(); }

   private:
    static void join(const std::vector<Bytes>& parts, RankBytes& out) {
      out.bytes.clear();
      out.offset.assign(1, 0);
      for (const Bytes& p : parts) {
        out.bytes.insert(out.bytes.end(), p.begin(), p.end());
        out.offset.push_back(out.bytes.size());
      }
    }
    // Posts to_rank, then reads what every rank posted for this one.
    std::vector<Bytes> exchange(const std::vector<Bytes>& to_rank) {
      job_.board_[std::size_t(rank_)] = to_rank;
      job_.sync_.arrive_and_wait();
      std::vector<Bytes> received;
      for (const std::vector<Bytes>& posted : job_.board_) received.push_back(posted[rank_]);
      job_.sync_.arrive_and_wait();
      return received;
    }
    InProcessJob& job_;
    int rank_;
  };

  int ranks_;
  std::barrier<> sync_;
  std::vector<std::vector<Bytes>> board_;  // board_[r][d]: what rank r posted for rank d
};

}  // namespace simdml::testing
