// Kills and full disks lose nothing. Kill and resume: `tsu dtm train`, `tsu dtm study`, `tsu train`
// and `tsu compare` (which trains the DTM and the baselines and builds the classifier cache) are killed
// with SIGKILL at moments drawn from a fixed seed, restarted in the same folder after each kill, and
// then run to the end. The folder must then hold what an uninterrupted run wrote, file for file and
// byte for byte, except the wall-clock measurements (JSON fields "seconds", "flips_per_ns",
// "cpu_seconds_per_sample", the CSV columns of the same names, and report.html, which shows them)
// and the baselines' torch checkpoints: those hold their training time, and libtorch 1.13 keys the
// optimiser state by parameter addresses, so even two uninterrupted runs differ in bytes; they
// must generate the same images.
// A full disk: a training run on a small tmpfs fails with exit 1 naming the file and the system's
// reason, leaves no temporary file and a valid checkpoint, and resumes to the same end once the disk
// has room.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "cli_fixture.hpp"
#include "baselines/generator.hpp"
#include "ml/dtm.hpp"
#include "sample/npy.hpp"
#include "util/files.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

const std::set<std::string> kTimingKeys = {"seconds", "flips_per_ns", "cpu_seconds_per_sample"};

void drop_timing(json& j) {
  if (j.is_object()) {
    for (const auto& key : kTimingKeys) j.erase(key);
    for (auto& [key, value] : j.items()) drop_timing(value);
  } else if (j.is_array()) {
    for (auto& value : j) drop_timing(value);
  }
}

// A CSV without the timing columns.
std::string drop_timing_columns(const std::string& text) {
  std::istringstream in(text);
  std::string line, out;
  std::vector<bool> keep;
  while (std::getline(in, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    if (keep.empty())
      for (const auto& name : cells) keep.push_back(!kTimingKeys.count(name));
    for (size_t k = 0; k < cells.size(); ++k)
      if (k >= keep.size() || keep[k]) out += cells[k] + ",";
    out += "\n";
  }
  return out;
}

// What a file holds once its wall-clock measurements are left out, with the run's folder name
// `out` replaced by "OUT".
std::string comparable(const fs::path& path, const std::string& out) {
  if (path.filename() == "checkpoint.pt") {
    const auto images = tsu::baselines::load_generator(path.parent_path().string())->sample(20, 5);
    return std::string(reinterpret_cast<const char*>(images.data()), images.size() * sizeof(float));
  }
  std::string bytes = tsu::read_file(path.string());
  const std::string ext = path.extension().string();
  if (ext == ".ckpt") {  // tsu train's checkpoint: a checksum line, then JSON that holds the epochs' timing
    json j = json::parse(bytes.substr(bytes.find('\n') + 1));
    drop_timing(j);
    return j.dump();
  }
  if (ext == ".json" || ext == ".jsonl")
    for (size_t at; (at = bytes.find(out + "/")) != std::string::npos;) bytes.replace(at, out.size(), "OUT");
  if (ext == ".csv") return drop_timing_columns(bytes);
  if (ext != ".json" && ext != ".jsonl") return bytes;
  if (ext == ".json") {
    json j = json::parse(bytes);
    drop_timing(j);
    return j.dump();
  }
  std::istringstream in(bytes);
  std::string lines;
  for (std::string line; std::getline(in, line);) {
    json j = json::parse(line);
    drop_timing(j);
    lines += j.dump() + "\n";
  }
  return lines;
}

// Every file under `root` (relative path -> comparable content), report.html left out.
std::map<std::string, std::string> tree(const fs::path& root, const std::string& out) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_regular_file() && entry.path().filename() != "report.html")
      files[fs::relative(entry.path(), root).string()] = comparable(entry.path(), out);
  return files;
}

class Durability : public CliTest {
 protected:
  // Starts `tsu ARGS` in the test's folder and kills it with SIGKILL after `delay` unless it ended
  // first; returns true when the kill hit a running process.
  bool run_killed_after(const std::string& args, std::chrono::duration<double> delay) const {
    const pid_t pid = fork();
    if (pid == 0) {
      if (chdir(dir_.c_str()) != 0) _exit(127);
      const std::string command = "OMP_NUM_THREADS=1 exec '" + std::string(TSU_BINARY) + "' " + args + " >/dev/null 2>&1";
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(delay);
    int status = 0;
    while (Clock::now() < until) {
      if (waitpid(pid, &status, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  }

  // `ARGS` with every "{out}" replaced by `out`.
  static std::string with_out(std::string args, const std::string& out) {
    for (size_t at; (at = args.find("{out}")) != std::string::npos;) args.replace(at, 5, out);
    return args;
  }

  // Runs ARGS with {out} = straight to the end, then with {out} = killed, killed `kills` times at
  // seeded random fractions of the straight run's duration and finished; both folders must agree.
  // `planted`: temporaries left beside the folder's files, as a kill mid-write leaves them; the
  // resumed run must remove them.
  void expect_kills_lose_nothing(const std::string& args, int kills, uint64_t seed,
                                 const std::vector<std::string>& planted = {}) {
    const auto start = Clock::now();
    const CliResult straight = tsu(with_out(args, "straight"));
    ASSERT_EQ(straight.status, 0) << straight.err;
    const std::chrono::duration<double> duration = Clock::now() - start;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> fraction(0.05, 0.95);
    // Under a loaded machine the straight run's duration can overstate a later run's: until a kill
    // hits, a run that ended first is discarded and the next kill comes twice as soon.
    int hits = 0;
    double sooner = 1;
    for (int k = 0; k < kills || (hits == 0 && k < 4 * kills); ++k) {
      const bool hit = run_killed_after(with_out(args, "killed"), duration * fraction(rng) * sooner);
      if (!hit && hits == 0) {
        fs::remove_all(dir_ / "killed");
        sooner /= 2;
      }
      hits += hit;
    }
    EXPECT_GT(hits, 0) << "no kill hit a running process";
    for (const auto& name : planted) {
      tsu::prepare_parent((dir_ / "killed" / name).string());
      tsu::write_file_atomic((dir_ / "killed" / name).string(), "half a write");
    }
    const CliResult finished = tsu(with_out(args, "killed"));
    ASSERT_EQ(finished.status, 0) << finished.err;
    expect_same_files(dir_ / "straight", "straight", dir_ / "killed", "killed");
  }

  // The files of the two folders agree; `*_out` is how each run named its folder.
  static void expect_same_files(const fs::path& expected_root, const std::string& expected_out, const fs::path& got_root,
                                const std::string& got_out) {
    const auto expected = tree(expected_root, expected_out), got = tree(got_root, got_out);
    for (const auto& [name, content] : expected) {
      const auto it = got.find(name);
      if (it == got.end())
        ADD_FAILURE() << name << " is missing after the kills";
      else
        EXPECT_TRUE(it->second == content) << name << " differs after the kills";
    }
    for (const auto& [name, content] : got) EXPECT_TRUE(expected.count(name)) << name << " should not be there";
  }

  static std::string config(const std::string& name) { return std::string(TSU_SOURCE_DIR) + "/configs/dtm/" + name; }
};

TEST_F(Durability, KilledDtmTrainingResumesToTheSameFiles) {
  expect_kills_lose_nothing("dtm train --config " + config("tiny.json") + " --epochs 6 --out {out} --threads 1 --quiet", 4, 1,
                            {"checkpoint.bin.tmpAb12Cd", "samples/epoch-0001-free.png.tmpAb12Cd"});
}

TEST_F(Durability, KilledDtmStudyResumesToTheSameFiles) {
  json second = json::parse(tsu::read_file(config("tiny.json")));
  second["name"] = "tiny-b";
  second["seed"] = 2;
  tsu::write_file_atomic((dir_ / "b.json").string(), second.dump());
  expect_kills_lose_nothing("dtm study --config " + config("tiny.json") + " --config b.json --out {out} --threads 1 --quiet", 3, 2);
}

TEST_F(Durability, KilledTrainingOfAnyModelResumesToTheSameFiles) {
  tsu::NpyArray rows{"|i1", {2000, 48}, std::vector<char>(2000 * 48)};
  std::mt19937_64 rng(7);
  for (char& s : rows.bytes) s = char(rng() % 3 == 0 ? 1 : -1);
  tsu::write_npy((dir_ / "rows.npy").string(), rows);
  expect_kills_lose_nothing("train rbm:48:24 --j-sigma 0.05 --data rows.npy --epochs 40 --batch 50 --out {out} "
                            "--threads 1 --quiet",
                            4, 4, {"model.json.tmpAb12Cd"});
}

TEST_F(Durability, KilledCompareResumesToTheSameFiles) {
  expect_kills_lose_nothing("compare --scale tiny --out {out} --cache {out}/cache --samples 110 --threads 1 --quiet", 3, 3,
                            {"compare.json.tmpAb12Cd"});
}

// The tmpfs is mounted in a mount namespace of this test's own process (ctest runs each test in a
// process of its own), so it disappears with the process whatever happens; without the right to
// mount (not root, or a container without CAP_SYS_ADMIN) the test is skipped.
TEST_F(Durability, AFullDiskFailsNamingTheFileAndTheRunResumesOnceThereIsRoom) {
  const std::string args = "dtm train --config " + config("tiny.json") + " --threads 1 --quiet --out ";
  ASSERT_EQ(tsu(args + "straight").status, 0);
  ASSERT_EQ(tsu(args + "one --epochs 1").status, 0);
  uintmax_t used = 0;  // tmpfs counts whole 4 KiB pages
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "one"))
    used += entry.is_regular_file() ? (entry.file_size() + 4095) / 4096 * 4096 : 4096;
  const uintmax_t checkpoint = fs::file_size(dir_ / "one" / "checkpoint.bin");

  if (unshare(CLONE_NEWNS) != 0) GTEST_SKIP() << "cannot make a mount namespace: " << std::strerror(errno);
  ASSERT_EQ(mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr), 0) << std::strerror(errno);
  const fs::path disk = dir_ / "disk";
  fs::create_directories(disk);
  // Room for the first epoch, not for the second checkpoint beside the first.
  const std::string size = "size=" + std::to_string(used + checkpoint / 2);
  if (mount("tmpfs", disk.c_str(), "tmpfs", 0, size.c_str()) != 0)
    GTEST_SKIP() << "cannot mount a tmpfs: " << std::strerror(errno);
  struct Unmount {
    fs::path at;
    ~Unmount() { umount2(at.c_str(), MNT_DETACH); }
  } unmount{disk};

  const CliResult full = tsu(args + "disk/run");
  expect_error_line(full, 1, {"disk/run/", "No space left on device"});
  for (const auto& entry : fs::recursive_directory_iterator(disk))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << entry.path() << " was left behind";
  EXPECT_NO_THROW(tsu::ml::Dtm::load((disk / "run" / "checkpoint.bin").string()));

  ASSERT_EQ(mount("tmpfs", disk.c_str(), "tmpfs", MS_REMOUNT, "size=64m"), 0) << std::strerror(errno);
  const CliResult resumed = tsu(args + "disk/run");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  expect_same_files(dir_ / "straight", "straight", disk / "run", "disk/run");
}

}  // namespace
