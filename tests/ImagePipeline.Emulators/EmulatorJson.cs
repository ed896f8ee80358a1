using System.Text.Json.Serialization;

namespace ImagePipeline.Emulators;

[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(Dictionary<string, int>))]
internal sealed partial class EmulatorJson : JsonSerializerContext;
