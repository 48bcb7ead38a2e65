// hnswlib_native.cpp: hnswlib's side of clipvec's ANN benchmark
// (benchmarks/cmd/annbench), compiled for this machine.
//
// annbench compiles this file itself against Debian's header-only hnswlib
// 0.6.2 (apt-get install -y g++ libhnswlib-dev) with
//
//     g++ -O3 -march=native -std=c++17 -pthread hnswlib_native.cpp
//
// and runs it in a child process of its own, with the same flags as
// hnswlib_bench.py. It reads the same .fvecs files the other methods read,
// normalises every row (hnswlib's "cosine" space is inner product on unit
// vectors), builds hnswlib::HierarchicalNSW<float> over an
// InnerProductSpace with the same M, efConstruction and seed, on one thread
// and then on --threads threads (addPoint from std::thread workers taking
// rows from a shared counter, as the Python binding's ParallelFor does),
// sweeps ef on one thread with one searchKnn call per query, saves and
// loads the index, and prints one JSON object on stdout in the shape
// annbench parses. Progress goes to stderr.
#include <hnswlib/hnswlib.h>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

const char *const kMethod = "hnswlib-native";

void logf(const std::string &msg) {
    std::fprintf(stderr, "  %s: %s\n", kMethod, msg.c_str());
    std::fflush(stderr);
}

// Matrix is n rows of dim floats, row-major.
struct Matrix {
    size_t n = 0, dim = 0;
    std::vector<float> data;
    const float *row(size_t i) const { return data.data() + i * dim; }
    float *row(size_t i) { return data.data() + i * dim; }
};

// readFvecs reads the first limit rows (all when limit is 0) of a TEXMEX
// .fvecs file: each row a little-endian int32 count, then that many
// float32 values.
Matrix readFvecs(const std::string &path, size_t limit) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("open " + path + ": cannot read");
    Matrix m;
    in.seekg(0, std::ios::end);
    const auto size = size_t(in.tellg());
    in.seekg(0);
    for (size_t r = 0; limit == 0 || r < limit; r++) {
        int32_t d = 0;
        if (!in.read(reinterpret_cast<char *>(&d), 4)) {
            if (in.gcount() == 0) break;
            throw std::runtime_error(path + ": row " + std::to_string(r) + ": truncated dimension");
        }
        if (d <= 0) throw std::runtime_error(path + ": row " + std::to_string(r) + ": dimension " + std::to_string(d));
        if (r == 0) {
            // Reserve the whole matrix, so that growing it never holds
            // two copies at once (peak RSS is measured).
            m.dim = size_t(d);
            size_t rows = size / (4 + 4 * m.dim);
            if (limit > 0) rows = std::min(rows, limit);
            m.data.reserve(rows * m.dim);
        }
        if (size_t(d) != m.dim)
            throw std::runtime_error(path + ": row " + std::to_string(r) + ": dimension " + std::to_string(d) +
                                     ", want " + std::to_string(m.dim));
        size_t at = m.data.size();
        m.data.resize(at + m.dim);
        if (!in.read(reinterpret_cast<char *>(m.data.data() + at), std::streamsize(m.dim * 4)))
            throw std::runtime_error(path + ": row " + std::to_string(r) + ": truncated values");
        m.n++;
    }
    if (m.n == 0) throw std::runtime_error(path + ": no rows");
    return m;
}

// normalize scales every row to unit length; a zero row is an error, as
// in the Go methods.
void normalize(Matrix &m, const std::string &path) {
    for (size_t i = 0; i < m.n; i++) {
        float *v = m.row(i);
        double s = 0;
        for (size_t j = 0; j < m.dim; j++) s += double(v[j]) * v[j];
        if (!(s > 0) || !std::isfinite(s))
            throw std::runtime_error(path + ": row " + std::to_string(i) + ": zero or non-finite vector");
        float inv = float(1 / std::sqrt(s));
        for (size_t j = 0; j < m.dim; j++) v[j] *= inv;
    }
}

double cpuSeconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// kernel names the inner-product function hnswlib's InnerProductSpace
// chose for this dimension: space_ip.h picks one by #ifdef __AVX512F__ /
// __AVX__ / __SSE__ at compile time and AVX512Capable() / AVXCapable() at
// run time.
std::string kernel(hnswlib::InnerProductSpace &space) {
    using namespace hnswlib;
    DISTFUNC<float> f = space.get_dist_func();
    if (f == InnerProductDistance) return "InnerProductDistance (scalar loop: no SIMD kernel for this dimension)";
#if defined(USE_AVX512)
    if (f == InnerProductDistanceSIMD16ExtAVX512) return "InnerProductDistanceSIMD16ExtAVX512 (AVX-512, 16 floats per zmm step)";
#endif
#if defined(USE_AVX)
    if (f == InnerProductDistanceSIMD16ExtAVX) return "InnerProductDistanceSIMD16ExtAVX (AVX, 8 floats per ymm step)";
    if (f == InnerProductDistanceSIMD4ExtAVX) return "InnerProductDistanceSIMD4ExtAVX (AVX, 8 floats per ymm step, dimension not a multiple of 16)";
#endif
#if defined(USE_SSE)
    if (f == InnerProductDistanceSIMD16ExtSSE) return "InnerProductDistanceSIMD16ExtSSE (SSE, 4 floats per xmm step)";
    if (f == InnerProductDistanceSIMD4ExtSSE) return "InnerProductDistanceSIMD4ExtSSE (SSE, 4 floats per xmm step)";
    if (f == InnerProductDistanceSIMD16ExtResiduals || f == InnerProductDistanceSIMD4ExtResiduals) {
        std::string inner = "SSE";
#if defined(USE_AVX512)
        if (InnerProductSIMD16Ext == InnerProductSIMD16ExtAVX512) inner = "AVX-512";
#endif
#if defined(USE_AVX)
        if (InnerProductSIMD16Ext == InnerProductSIMD16ExtAVX) inner = "AVX";
#endif
        return "InnerProductDistanceSIMD*ExtResiduals (" + inner + " kernel on the whole blocks, scalar tail)";
    }
#endif
    return "unknown inner-product function";
}

std::string compiledFor() {
    std::string s;
#if defined(__AVX512F__)
    s += "__AVX512F__ ";
#endif
#if defined(__AVX2__)
    s += "__AVX2__ ";
#endif
#if defined(__AVX__)
    s += "__AVX__ ";
#endif
#if defined(__FMA__)
    s += "__FMA__ ";
#endif
#if defined(__SSE__)
    s += "__SSE__ ";
#endif
    if (s.empty()) return "no SIMD macros";
    s.pop_back();
    return s;
}

// cpuReport says what hnswlib's own run-time checks found.
std::string cpuReport() {
#if defined(USE_AVX) || defined(USE_SSE)
    return std::string("hnswlib's run-time checks: AVX512Capable() ") + (AVX512Capable() ? "true" : "false") +
           ", AVXCapable() " + (AVXCapable() ? "true" : "false");
#else
    return "hnswlib's run-time checks not compiled in";
#endif
}

std::string jsonString(const std::string &s) {
    std::string out = "\"";
    for (unsigned char c : s) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out += char(c);
            }
        }
    }
    return out + "\"";
}

std::string num(double x) {
    if (!std::isfinite(x)) return "0";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.9g", x);
    return buf;
}

struct Args {
    std::string base, query, workDir = "/tmp";
    size_t n = 0, queries = 0, k = 10, m = 16, efc = 200, threads = 1, runs = 3;
    uint64_t seed = 2025;
    bool build1 = true;
    std::vector<size_t> efs{10, 20, 40, 80, 120, 200, 400, 800};
};

size_t parseSize(const std::string &flag, const std::string &v) {
    size_t pos = 0;
    unsigned long long x = 0;
    try {
        x = std::stoull(v, &pos);
    } catch (const std::exception &) {
        pos = 0;
    }
    if (pos != v.size() || v.empty() || v[0] == '-') throw std::runtime_error(flag + " " + v + ": want a non-negative integer");
    return size_t(x);
}

Args parseArgs(int argc, char **argv) {
    Args a;
    for (int i = 1; i < argc; i += 2) {
        std::string f = argv[i];
        if (i + 1 >= argc) throw std::runtime_error(f + ": missing value");
        std::string v = argv[i + 1];
        if (f == "--base") a.base = v;
        else if (f == "--query") a.query = v;
        else if (f == "--work-dir") a.workDir = v;
        else if (f == "--n") a.n = parseSize(f, v);
        else if (f == "--queries") a.queries = parseSize(f, v);
        else if (f == "--k") a.k = parseSize(f, v);
        else if (f == "--m") a.m = parseSize(f, v);
        else if (f == "--efc") a.efc = parseSize(f, v);
        else if (f == "--threads") a.threads = parseSize(f, v);
        else if (f == "--runs") a.runs = parseSize(f, v);
        else if (f == "--seed") a.seed = parseSize(f, v);
        else if (f == "--build1") {
            if (v != "true" && v != "false") throw std::runtime_error("--build1 " + v + ": want true or false");
            a.build1 = v == "true";
        } else if (f == "--ef") {
            a.efs.clear();
            std::stringstream ss(v);
            std::string part;
            while (std::getline(ss, part, ',')) {
                size_t ef = parseSize("--ef", part);
                if (ef == 0) throw std::runtime_error("--ef " + v + ": want positive integers");
                a.efs.push_back(ef);
            }
        } else {
            throw std::runtime_error("unknown flag " + f);
        }
    }
    if (a.base.empty() || a.query.empty()) throw std::runtime_error("--base and --query are required");
    if (a.k == 0 || a.m < 2 || a.efc == 0 || a.threads == 0 || a.efs.empty())
        throw std::runtime_error("want --k, --efc, --threads positive, --m ≥ 2 and at least one --ef");
    a.runs = std::max<size_t>(a.runs, 1);
    return a;
}

using Index = hnswlib::HierarchicalNSW<float>;

struct Built {
    std::unique_ptr<Index> index;
    double wall = 0, cpu = 0;
};

// build inserts every row of base (label = row number) on threads threads.
// Like the Python binding's add_items, the first row goes in alone (it
// becomes the entry point), then workers take rows from a shared counter.
Built build(hnswlib::InnerProductSpace &space, const Matrix &base, const Args &a, size_t threads) {
    Built b;
    // hnswlib's random_seed is a size_t; keep the same value as
    // hnswlib_bench.py, which reduces it modulo 2^31.
    size_t seed = size_t(a.seed % (uint64_t(1) << 31));
    b.index.reset(new Index(&space, base.n, a.m, a.efc, seed));
    logf("building " + std::to_string(base.n) + " on " + std::to_string(threads) + " thread(s)");
    double cpu = cpuSeconds();
    auto start = Clock::now();
    Index *idx = b.index.get();
    idx->addPoint(base.row(0), 0);
    std::atomic<size_t> next{1};
    std::atomic<size_t> done{1};
    std::mutex errMu;
    std::exception_ptr err;
    size_t step = std::max<size_t>(base.n / 10, 1);
    auto worker = [&]() {
        for (;;) {
            size_t i = next.fetch_add(1);
            if (i >= base.n) return;
            try {
                idx->addPoint(base.row(i), i);
            } catch (...) {
                std::lock_guard<std::mutex> l(errMu);
                if (!err) err = std::current_exception();
                next.store(base.n);
                return;
            }
            size_t d = done.fetch_add(1) + 1;
            if (d % step == 0 || d == base.n)
                logf("built " + std::to_string(d) + "/" + std::to_string(base.n) + " on " + std::to_string(threads) + " thread(s)");
        }
    };
    if (threads <= 1) {
        worker();
    } else {
        std::vector<std::thread> ws;
        for (size_t t = 0; t < threads; t++) ws.emplace_back(worker);
        for (auto &w : ws) w.join();
    }
    if (err) std::rethrow_exception(err);
    b.wall = since(start);
    b.cpu = cpuSeconds() - cpu;
    if (idx->cur_element_count != base.n)
        throw std::runtime_error("built an index of " + std::to_string(idx->cur_element_count) + " elements, want " +
                                 std::to_string(base.n));
    return b;
}

// search returns the labels of the k best rows for q, best first.
void search(const Index &idx, const float *q, size_t k, std::vector<int64_t> &out) {
    auto pq = idx.searchKnn(q, k);
    out.resize(pq.size());
    for (size_t i = pq.size(); i > 0; i--) {
        out[i - 1] = int64_t(pq.top().second);
        pq.pop();
    }
}

// percentile is the nearest-rank percentile, as ann.Percentile computes it.
double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    long rank = long(std::ceil(p / 100 * double(v.size())));
    rank = std::min<long>(std::max<long>(rank, 1), long(v.size()));
    return v[size_t(rank - 1)];
}

struct Point {
    size_t ef = 0;
    double qps = 0, p50 = 0, p99 = 0;
    std::vector<std::vector<int64_t>> ids;
};

int run(const Args &a) {
    auto tStart = Clock::now();
    Matrix base = readFvecs(a.base, a.n);
    Matrix queries = readFvecs(a.query, a.queries);
    if (queries.dim != base.dim)
        throw std::runtime_error(a.query + ": dimension " + std::to_string(queries.dim) + ", want the base's " + std::to_string(base.dim));
    normalize(base, a.base);
    normalize(queries, a.query);
    const size_t n = base.n, nq = queries.n, dim = base.dim;

    hnswlib::InnerProductSpace space(dim);
    std::string kern = kernel(space);
    std::vector<std::string> notes;
    notes.push_back("distance kernel: " + kern + "; compiled with " + compiledFor() +
                    "; " + cpuReport());

    double build1Wall = 0, build1CPU = 0;
    if (a.build1) {
        Built b = build(space, base, a, 1);
        build1Wall = b.wall;
        build1CPU = b.cpu;
    }
    Built all = build(space, base, a, a.threads);
    Index &idx = *all.index;

    // Best of --runs passes per ef, as the Go sweep does: the passes go
    // round the whole sweep, each ef's pass starts with a warm-up of 100
    // queries, and the ids are those of the first pass.
    std::vector<Point> points(a.efs.size());
    std::vector<double> lat(nq);
    std::vector<int64_t> got;
    for (size_t r = 0; r < a.runs; r++) {
        std::string line = "pass " + std::to_string(r + 1) + "/" + std::to_string(a.runs) + ":";
        for (size_t e = 0; e < a.efs.size(); e++) {
            Point &p = points[e];
            idx.setEf(a.efs[e]);
            if (r == 0) {
                p.ef = a.efs[e];
                p.ids.resize(nq);
            }
            for (size_t i = 0; i < std::min<size_t>(nq, 100); i++) search(idx, queries.row(i), a.k, got);
            auto start = Clock::now();
            for (size_t i = 0; i < nq; i++) {
                auto t = Clock::now();
                search(idx, queries.row(i), a.k, got);
                lat[i] = since(t);
                if (r == 0) p.ids[i] = got;
            }
            double qps = double(nq) / since(start);
            if (qps > p.qps) {
                p.qps = qps;
                p.p50 = percentile(lat, 50) * 1e6;
                p.p99 = percentile(lat, 99) * 1e6;
            }
            line += " ef=" + std::to_string(p.ef) + " " + std::to_string(long(qps)) + " QPS";
        }
        logf(line);
    }

    // Snapshot: save, drop, load, and check the loaded index answers as
    // the built one did at the middle ef.
    std::string path = a.workDir + "/hnswlib-native.bin";
    idx.saveIndex(path);
    long long snapshotBytes = 0;
    {
        std::ifstream f(path, std::ios::binary | std::ios::ate);
        if (f) snapshotBytes = (long long)f.tellg();
    }
    all.index.reset();
    auto t = Clock::now();
    Index loaded(&space, path, false, n);
    double loadSeconds = since(t);
    std::remove(path.c_str());
    size_t mid = a.efs.size() / 2, check = std::min<size_t>(nq, 100), same = 0;
    loaded.setEf(a.efs[mid]);
    for (size_t i = 0; i < check; i++) {
        search(loaded, queries.row(i), a.k, got);
        if (got == points[mid].ids[i]) same++;
    }
    std::string loadCheck = "loaded index: " + std::to_string(loaded.cur_element_count) + " elements; " + std::to_string(same) +
                            " of " + std::to_string(check) + " queries give the same ids at ef=" + std::to_string(a.efs[mid]);

    std::string setup = "hnswlib::HierarchicalNSW<float>(InnerProductSpace(" + std::to_string(dim) + ") on unit vectors, max_elements=" +
                        std::to_string(n) + ", M=" + std::to_string(a.m) + ", ef_construction=" + std::to_string(a.efc) +
                        ", random_seed=" + std::to_string(a.seed % (uint64_t(1) << 31)) +
                        "); addPoint of row 0, then of the rest from std::thread workers sharing a counter, on 1 and on " +
                        std::to_string(a.threads) + " threads; setEf + searchKnn per query on 1 thread; saveIndex / loadIndex; " +
                        "kernel " + kern;

    std::ostringstream o;
    o << "{\"method\":" << jsonString(kMethod) << ",\"version\":" << jsonString(std::string("hnswlib (header-only), compiler ") + __VERSION__)
      << ",\"setup\":" << jsonString(setup);
    if (a.build1) o << ",\"build_1_thread_seconds\":" << num(build1Wall) << ",\"build_1_thread_cpu_seconds\":" << num(build1CPU);
    o << ",\"build_all_threads_seconds\":" << num(all.wall) << ",\"build_all_threads_cpu_seconds\":" << num(all.cpu)
      << ",\"build_threads\":" << a.threads << ",\"snapshot_bytes\":" << snapshotBytes << ",\"load_seconds\":" << num(loadSeconds)
      << ",\"load_check\":" << jsonString(loadCheck) << ",\"points\":[";
    for (size_t e = 0; e < points.size(); e++) {
        const Point &p = points[e];
        if (e) o << ",";
        o << "{\"ef\":" << p.ef << ",\"queries\":" << nq << ",\"qps\":" << num(p.qps) << ",\"p50_us\":" << num(p.p50)
          << ",\"p99_us\":" << num(p.p99) << ",\"ids\":[";
        for (size_t i = 0; i < p.ids.size(); i++) {
            if (i) o << ",";
            o << "[";
            for (size_t j = 0; j < p.ids[i].size(); j++) o << (j ? "," : "") << p.ids[i][j];
            o << "]";
        }
        o << "]}";
    }
    o << "],\"notes\":[";
    for (size_t i = 0; i < notes.size(); i++) o << (i ? "," : "") << jsonString(notes[i]);
    o << "],\"child_seconds\":" << num(since(tStart)) << "}\n";
    std::string s = o.str();
    std::fwrite(s.data(), 1, s.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
    try {
        return run(parseArgs(argc, argv));
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s: %s\n", kMethod, e.what());
        return 1;
    }
}
