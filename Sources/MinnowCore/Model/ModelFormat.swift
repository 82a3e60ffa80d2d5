// The Minnow int8 model file, version 1 (docs/model-format.md has the full text).
//
// All integers little-endian. Offsets are bytes from the start of the file.
//
//  ┌────────────────────────────┐ 0
//  │ header (64 bytes)          │
//  ├────────────────────────────┤ tensorTableOffset (16-aligned)
//  │ tensor records (32 bytes)  │  one per activation tensor
//  ├────────────────────────────┤ layerTableOffset (16-aligned)
//  │ layer records (96 bytes)   │  one per layer, in execution order
//  ├────────────────────────────┤ dataOffset (16-aligned)
//  │ data: weights, biases,     │  every block 16-aligned, used in place
//  │ multipliers, shifts, ...   │
//  └────────────────────────────┘ fileSize
//
// Header
//   0  magic "MNW8"            4  version u16 (1)       6  header size u16 (64)
//   8  file size u32           12 CRC-32 u32 of the whole file, this field read as 0
//   16 tensor count u16        18 layer count u16
//   20 input tensor u16        22 output tensor u16
//   24 arena bytes u32         28 tensor table offset u32
//   32 layer table offset u32  36 data offset u32        40 data bytes u32
//   44 model name, 16 bytes UTF-8, NUL-terminated       60 reserved u32 (0)
//
// Tensor record (an int8 NHWC activation tensor in the arena)
//   0  arena offset u32        4  height u16   6 width u16   8 channels u16
//   10 pixel stride u16 (≥ channels; > channels for a slice of a wider tensor)
//   12 zero point i32 (−128...127)   16 scale f32 (finite, > 0)   20 reserved (12 bytes, 0)
//
// Layer record
//   0  opcode u8   1 input count u8   2 output tensor u16   4 input tensors u16 × 8
//   20 name, 16 bytes UTF-8, NUL-terminated
//   36 kernel height u16  38 kernel width u16  40 stride height u16  42 stride width u16
//   44 pad top u16  46 pad left u16  48 pad bottom u16  50 pad right u16
//   52 activation min i8  53 activation max i8  54 rounding u8 (0 exact, 1 floor, 2 ceil)  55 flags u8 (0)
//   56 weights offset u32  60 weights bytes u32      (into the file, 16-aligned)
//   64 params offset u32   68 params bytes u32       (int32 array, 16-aligned)
//   72 scratch offset u32  76 scratch bytes u32      (into the arena)
//   80 reserved (16 bytes, 0)
//
// Params per opcode (int32 arrays):
//   conv, fully connected: bias[K], multiplier[K], shift[K]  (K output channels)
//   add:     leftShift, m1, s1, m2, s2, mOut, sOut
//   softmax: inputMultiplier, inputLeftShift, diffMin
//   others:  none (params bytes 0)

/// Layout constants of model file version 1.
public enum ModelFormat {
    /// "MNW8" as the first four bytes.
    public static let magic: (UInt8, UInt8, UInt8, UInt8) = (0x4D, 0x4E, 0x57, 0x38)
    public static let version: UInt16 = 1
    public static let headerBytes = 64
    public static let tensorRecordBytes = 32
    public static let layerRecordBytes = 96
    /// Alignment of the tables, every data block and every arena buffer.
    public static let alignment = 16
    /// Bytes of a layer or model name field, NUL terminator included.
    public static let nameBytes = 16
    /// Most inputs a layer record holds.
    public static let maximumInputs = 8
    /// Offset of the checksum field in the header.
    public static let checksumOffset = 12
    /// Number of int32 params of an add layer.
    public static let addParamCount = 7
    /// Number of int32 params of a softmax layer.
    public static let softmaxParamCount = 3

    // Header field offsets.
    public static let versionOffset = 4
    public static let headerSizeOffset = 6
    public static let fileSizeOffset = 8
    public static let tensorCountOffset = 16
    public static let layerCountOffset = 18
    public static let inputTensorOffset = 20
    public static let outputTensorOffset = 22
    public static let arenaBytesOffset = 24
    public static let tensorTableOffsetOffset = 28
    public static let layerTableOffsetOffset = 32
    public static let dataOffsetOffset = 36
    public static let dataBytesOffset = 40
    public static let modelNameOffset = 44
}

/// What a layer computes, as stored in the opcode byte of a layer record.
public enum Opcode: UInt8, Sendable {
    case convolution = 1
    case maxPool = 2
    case averagePool = 3
    case minPool = 4
    case globalAveragePool = 5
    case globalMaxPool = 6
    case fullyConnected = 7
    case softmax = 8
    case concatenation = 9
    case add = 10

    /// Short name for tables and the C API ("conv", "maxpool", ...).
    public var name: StaticString {
        switch self {
        case .convolution: return "conv"
        case .maxPool: return "maxpool"
        case .averagePool: return "avgpool"
        case .minPool: return "minpool"
        case .globalAveragePool: return "global_avgpool"
        case .globalMaxPool: return "global_maxpool"
        case .fullyConnected: return "dense"
        case .softmax: return "softmax"
        case .concatenation: return "concat"
        case .add: return "add"
        }
    }
}
