/// Channel concatenation: copies `input` (all its channels) into channels
/// `channelOffset ..< channelOffset + inputLayout.channels` of `output`.
/// All inputs of a concatenation share the output's scale and zero point (the
/// exporter ties them), so this is pure data movement. When the input already
/// is that slice of the output (a branch that wrote in place), nothing moves.
public func concatenateChannels(
    input: UnsafePointer<Int8>, inputLayout: FeatureMapLayout,
    output: UnsafeMutablePointer<Int8>, outputLayout: FeatureMapLayout, channelOffset: Int
) {
    let destination = output + channelOffset
    if UnsafePointer(destination) == input && inputLayout.pixelStride == outputLayout.pixelStride {
        return
    }
    let channels = inputLayout.channels
    for p in 0..<(inputLayout.height * inputLayout.width) {
        let from = input + p * inputLayout.pixelStride
        let to = destination + p * outputLayout.pixelStride
        for c in 0..<channels {
            to[c] = from[c]
        }
    }
}
