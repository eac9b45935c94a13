#include "core/sqlite.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "test_support/temp_dir.hpp"

namespace squall::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = Database::open(dir_.file("test.db"), OpenOptions{});
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    db_.emplace(std::move(opened).value());
    ASSERT_TRUE(db_->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL, raw BLOB)").ok());
  }
  test::TempDir dir_;
  std::optional<Database> db_;
};

TEST_F(SqliteTest, BindsAndReadsEveryType) {
  auto insert = db_->prepare("INSERT INTO t(id, name, score, raw) VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(insert.ok());
  insert->bind(1, std::int64_t{1}).bind(2, std::string_view("Zürich")).bind(3, 2.5).bind_blob(4, std::string_view("\0\xff", 2));
  ASSERT_TRUE(insert->run().ok());
  insert->bind(1, std::int64_t{2}).bind(2, std::optional<std::string>{}).bind(3, std::optional<double>{}).bind_null(4);
  ASSERT_TRUE(insert->run().ok());

  auto select = db_->prepare("SELECT id, name, score, raw FROM t ORDER BY id");
  ASSERT_TRUE(select.ok());
  ASSERT_TRUE(*select->step());
  EXPECT_EQ(select->int64(0), 1);
  EXPECT_EQ(select->text(1), "Zürich");
  EXPECT_EQ(select->optional_real(2), 2.5);
  EXPECT_EQ(select->blob(3), std::string_view("\0\xff", 2));
  ASSERT_TRUE(*select->step());
  EXPECT_FALSE(select->optional_text(1).has_value());
  EXPECT_FALSE(select->optional_real(2).has_value());
  EXPECT_TRUE(select->is_null(3));
  EXPECT_FALSE(*select->step());
}

TEST_F(SqliteTest, ReportsConstraintViolationsAsErrors) {
  ASSERT_TRUE(db_->exec("INSERT INTO t(id) VALUES (1)").ok());
  auto insert = db_->prepare("INSERT INTO t(id) VALUES (?)");
  ASSERT_TRUE(insert.ok());
  auto failed = insert->bind(1, std::int64_t{1}).run();
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("UNIQUE"), std::string::npos) << failed.error().message;
  // The statement is reusable after a failure.
  EXPECT_TRUE(insert->bind(1, std::int64_t{2}).run().ok());
}

TEST_F(SqliteTest, BadSqlIsAnErrorNamingTheStatement) {
  auto prepared = db_->prepare("SELEKT 1");
  ASSERT_FALSE(prepared.ok());
  EXPECT_NE(prepared.error().message.find("SELEKT"), std::string::npos);
}

TEST_F(SqliteTest, TransactionRollsBackUnlessCommitted) {
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db_->exec("INSERT INTO t(id) VALUES (10)").ok());
  }
  {
    auto tx = Transaction::begin(*db_);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(db_->exec("INSERT INTO t(id) VALUES (11)").ok());
    ASSERT_TRUE(tx->commit().ok());
  }
  auto count = db_->prepare("SELECT group_concat(id) FROM t");
  ASSERT_TRUE(count.ok());
  ASSERT_TRUE(*count->step());
  EXPECT_EQ(count->text(0), "11");
}

TEST(SqliteOpen, MissingDirectoryIsAnIoError) {
  auto opened = Database::open("/nonexistent-dir/x/test.db", OpenOptions{});
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, Errc::io);
  EXPECT_NE(opened.error().message.find("/nonexistent-dir/x/test.db"), std::string::npos);
}

// A full disk (here: the page limit, which SQLite reports as SQLITE_FULL like
// ENOSPC) is named with the database file, so the user knows which disk.
TEST_F(SqliteTest, AFullDatabaseErrorNamesTheFile) {
  ASSERT_TRUE(db_->exec("PRAGMA max_page_count=4").ok());
  Result<void> failed;
  for (int i = 0; i < 100 && failed.ok(); ++i) {
    failed = db_->exec("INSERT INTO t(name) VALUES (randomblob(2000))");
  }
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, Errc::io);
  EXPECT_NE(failed.error().message.find("full"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find(dir_.file("test.db")), std::string::npos) << failed.error().message;

  auto insert = db_->prepare("INSERT INTO t(name) VALUES (randomblob(2000))");
  ASSERT_TRUE(insert.ok());
  auto stepped = insert->run();
  ASSERT_FALSE(stepped.ok());
  EXPECT_NE(stepped.error().message.find(dir_.file("test.db")), std::string::npos) << stepped.error().message;
}

// A writer that finds the lock taken queues for it instead of polling
// against SQLite's busy timeout: it starts the moment the holder commits,
// however long that took. (Polling with growing sleeps is what let a
// producer committing back to back starve a consumer's commits.)
TEST(SqliteWriterQueue, AQueuedWriterWaitsForTheHolderRatherThanTimingOut) {
  test::TempDir dir;
  OpenOptions options;
  options.sync_full = false;
  options.busy_timeout_ms = 50;
  options.writer_lock_path = dir.file("test.db.writers");
  auto holder = Database::open(dir.file("test.db"), options);
  auto waiter = Database::open(dir.file("test.db"), options);
  ASSERT_TRUE(holder.ok() && waiter.ok());
  ASSERT_TRUE(holder->exec("CREATE TABLE t(writer TEXT)").ok());

  auto held = Transaction::begin(*holder);
  ASSERT_TRUE(held.ok());
  std::atomic<bool> holder_committed{false};
  std::atomic<bool> waiter_began_before_commit{false};
  std::thread second([&] {
    auto tx = Transaction::begin(*waiter);
    ASSERT_TRUE(tx.ok()) << tx.error().message;
    waiter_began_before_commit = !holder_committed;
    ASSERT_TRUE(waiter->exec("INSERT INTO t VALUES ('waiter')").ok());
    ASSERT_TRUE(tx->commit().ok());
  });
  // Six times the waiter's busy timeout: without the queue it gives up.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(holder->exec("INSERT INTO t VALUES ('holder')").ok());
  holder_committed = true;
  ASSERT_TRUE(held->commit().ok());
  second.join();
  EXPECT_FALSE(waiter_began_before_commit);
  auto count = waiter->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok() && count->step().value());
  EXPECT_EQ(count->int64(0), 2);
}

}  // namespace
}  // namespace squall::sqlite
