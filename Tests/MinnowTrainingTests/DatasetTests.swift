import Testing
import Foundation
@testable import MinnowTraining

@Suite struct DatasetTests {
    func idx(images: [[UInt8]], rows: Int, cols: Int) -> Data {
        var d: [UInt8] = [0, 0, 8, 3]
        for v in [images.count, rows, cols] { d += [UInt8(v >> 24 & 255), UInt8(v >> 16 & 255), UInt8(v >> 8 & 255), UInt8(v & 255)] }
        for image in images { d += image }
        return Data(d)
    }

    func idxLabels(_ labels: [UInt8]) -> Data {
        let n = labels.count
        return Data([0, 0, 8, 1, UInt8(n >> 24 & 255), UInt8(n >> 16 & 255), UInt8(n >> 8 & 255), UInt8(n & 255)] + labels)
    }

    func gzip(_ url: URL) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "gzip -n -f '\(url.path)'"]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func readsPlainAndGzipIDX() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let images: [[UInt8]] = [[0, 255, 51, 102, 0, 0], [255, 255, 255, 0, 0, 1]]
        let imageURL = dir.appendingPathComponent("i-idx3-ubyte"), labelURL = dir.appendingPathComponent("l-idx1-ubyte")
        try idx(images: images, rows: 2, cols: 3).write(to: imageURL)
        try idxLabels([7, 2]).write(to: labelURL)
        let plain = try Dataset.loadIDX(images: imageURL, labels: labelURL)
        #expect(plain.count == 2 && plain.height == 2 && plain.width == 3)
        #expect(plain.labels == [7, 2])
        #expect(plain.images[1] == 1 && plain.images[2] == 0.2 && plain.images[11] == Float(1) / 255)
        try gzip(imageURL)
        try gzip(labelURL)
        let zipped = try Dataset.loadIDX(images: dir.appendingPathComponent("i-idx3-ubyte.gz"),
                                         labels: dir.appendingPathComponent("l-idx1-ubyte.gz"))
        #expect(zipped.images == plain.images && zipped.labels == plain.labels)
    }

    @Test func malformedIDXIsRejected() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imageURL = dir.appendingPathComponent("i"), labelURL = dir.appendingPathComponent("l")
        var bytes = [UInt8](idx(images: [[1, 2, 3, 4]], rows: 2, cols: 2))
        bytes.removeLast()
        try Data(bytes).write(to: imageURL)
        try idxLabels([1]).write(to: labelURL)
        #expect(throws: DatasetError.self) { try Dataset.loadIDX(images: imageURL, labels: labelURL) }
        try idx(images: [[1, 2, 3, 4]], rows: 2, cols: 2).write(to: imageURL)
        try idxLabels([1, 2]).write(to: labelURL)
        #expect(throws: DatasetError.self) { try Dataset.loadIDX(images: imageURL, labels: labelURL) }
        try Data([0x1F, 0x8B, 1, 2, 3]).write(to: labelURL) // corrupt gzip
        #expect(throws: DatasetError.self) { try Dataset.loadIDX(images: imageURL, labels: labelURL) }
    }

    @Test func mnist5kSplitIsStratifiedAndFixed() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // 10 samples per class, class-sorted like the real file; pixel 0 holds the sample number.
        var text = ""
        for label in 0..<10 {
            for i in 0..<10 {
                var row = [Int](repeating: 0, count: 784)
                row[0] = label * 10 + i
                row[783] = 255
                text += (row + [label]).map(String.init).joined(separator: ",") + "\n"
            }
        }
        let url = dir.appendingPathComponent("mnist_5k.csv")
        try text.write(to: url, atomically: true, encoding: .utf8)
        let train = try Dataset.loadMNIST5k(csv: url, split: .train)
        let test = try Dataset.loadMNIST5k(csv: url, split: .test)
        #expect(train.count == 80 && test.count == 20)
        for label in 0..<10 {
            #expect(test.labels.filter { $0 == label }.count == 2)
        }
        // The 5th and 10th sample of each class are test samples.
        #expect(test.images[0] * 255 == 4 && test.images[784] * 255 == 9)
        #expect(test.images[783] == 1)
        try gzip(url)
        let zipped = try Dataset.loadMNIST5k(csv: dir.appendingPathComponent("mnist_5k.csv.gz"), split: .test)
        #expect(zipped.images == test.images)
        // 500 per class → 100 test per class.
        #expect((0..<500).filter(Dataset.mnist5kIsTest).count == 100)
    }

    @Test func malformedCSVNamesTheLine() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("bad.csv")
        try "1,2,3\n".write(to: url, atomically: true, encoding: .utf8)
        do {
            _ = try Dataset.loadMNIST5k(csv: url, split: .train)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("line 1"))
        }
    }

    @Test func missingDataSetNamesTheInstallCommand() {
        let error = DatasetError.notInstalled(name: "MNIST-5k", looked: ["/x/mnist_5k.csv.gz"])
        #expect(error.description.contains("tools/install-datasets.sh"))
        #expect(error.description.contains("/x/mnist_5k.csv.gz"))
    }

    @Test func realDataSetsWhenInstalled() throws {
        // Skips cleanly when the data sets are not installed.
        if let test = try? Dataset.load(.fashionMNIST, split: .test) {
            #expect(test.count == 10_000 && test.images.count == 10_000 * 784)
            #expect(Set(test.labels) == Set(0..<10))
            #expect(test.images.allSatisfy { $0 >= 0 && $0 <= 1 })
        }
        if let test = try? Dataset.load(.mnist5k, split: .test), let train = try? Dataset.load(.mnist5k, split: .train) {
            #expect(test.count == 1_000 && train.count == 4_000)
            for label in 0..<10 { #expect(test.labels.filter { $0 == label }.count == 100) }
        }
    }
}
