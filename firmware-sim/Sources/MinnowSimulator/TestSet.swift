import Foundation

/// Labelled test images for the real run: Fashion-MNIST's IDX files, the
/// MNIST-5k CSV, or any directory / file in those formats. Pixels are bytes;
/// the model sees pixel / 255, as the trainer does.
public struct TestSet: Sendable {
    public var name: String
    public var height: Int
    public var width: Int
    public var channels: Int
    /// `count × height × width × channels` bytes, NHWC.
    public var pixels: [UInt8]
    public var labels: [UInt8]
    public var count: Int { labels.count }
    public var imageSize: Int { height * width * channels }

    /// The Debian package `dataset-fashion-mnist` installs here.
    public static let fashionMNISTDirectory = "/usr/share/datasets/fashion-mnist"
    /// tools/install-datasets.sh puts MNIST-5k here (relative to the package root).
    public static let mnist5kPath = "data/mnist5k/mnist_5k.csv.gz"

    /// The images of one test image as the model's float input.
    public func image(_ index: Int) -> [Float] {
        let start = index * imageSize
        return pixels[start..<start + imageSize].map { Float($0) / 255 }
    }

    /// Loads `spec`: `fashion-mnist`, `mnist5k`, a directory holding
    /// `t10k-images-idx3-ubyte[.gz]` and `t10k-labels-idx1-ubyte[.gz]`, or a
    /// `.csv[.gz]` file of rows "784 pixels, label".
    public static func load(_ spec: String) throws(SimulatorError) -> TestSet {
        switch spec.lowercased() {
        case "fashion-mnist", "fashion_mnist", "fashionmnist":
            return try idx(directory: fashionMNISTDirectory, name: "Fashion-MNIST test set")
        case "mnist5k", "mnist-5k":
            return try csv(mnist5kPath, name: "MNIST-5k")
        default:
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: spec, isDirectory: &isDirectory) else {
                throw .fileNotFound(spec)
            }
            if isDirectory.boolValue { return try idx(directory: spec, name: spec) }
            return try csv(spec, name: spec)
        }
    }

    /// Reads a file, decompressing `.gz` with the system `gzip -dc`.
    static func contents(_ path: String) throws(SimulatorError) -> Data {
        guard path.hasSuffix(".gz") else { return try ModelLoader.read(path) }
        guard FileManager.default.fileExists(atPath: path) else { throw .fileNotFound(path) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .unreadableFile(path: path, reason: "cannot start gzip: \(error.localizedDescription)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw .unreadableFile(path: path, reason: "gzip -dc failed") }
        return data
    }

    static func firstExisting(_ candidates: [String]) -> String? {
        candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    static func idx(directory: String, name: String) throws(SimulatorError) -> TestSet {
        let base = (directory as NSString)
        guard let imagesPath = firstExisting(["t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"].map { base.appendingPathComponent($0) }),
              let labelsPath = firstExisting(["t10k-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte"].map { base.appendingPathComponent($0) })
        else {
            throw .fileNotFound(base.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        }
        let images = [UInt8](try contents(imagesPath))
        let labels = [UInt8](try contents(labelsPath))
        func u32(_ b: [UInt8], _ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
        guard images.count >= 16, u32(images, 0) == 0x0803, labels.count >= 8, u32(labels, 0) == 0x0801 else {
            throw .unreadableFile(path: imagesPath, reason: "not an IDX image / label file pair")
        }
        let n = u32(images, 4), h = u32(images, 8), w = u32(images, 12)
        guard n == u32(labels, 4), images.count == 16 + n * h * w, labels.count == 8 + n else {
            throw .unreadableFile(path: imagesPath, reason: "IDX sizes do not match (\(n) images)")
        }
        return TestSet(name: name, height: h, width: w, channels: 1, pixels: Array(images[16...]), labels: Array(labels[8...]))
    }

    static func csv(_ path: String, name: String) throws(SimulatorError) -> TestSet {
        let text = String(decoding: try contents(path), as: UTF8.self)
        var pixels: [UInt8] = []
        var labels: [UInt8] = []
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",")
            let values = fields.compactMap { UInt8($0.trimmingCharacters(in: .whitespaces)) }
            if values.count != 785 {
                if number == 0 { continue }  // a header line
                throw .unreadableFile(path: path, reason: "line \(number + 1): expected 784 pixels and a label")
            }
            pixels += values[0..<784]
            labels.append(values[784])
        }
        guard !labels.isEmpty else { throw .unreadableFile(path: path, reason: "no images") }
        return TestSet(name: name, height: 28, width: 28, channels: 1, pixels: pixels, labels: labels)
    }
}
