using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Domain.Program;

namespace Loyalty.Functions.Hosting;

/// <summary>Loads the program definition from its JSON file and refuses to start on a bad one, naming every fault.</summary>
public static class ProgramFile
{
    public const string SettingName = "LOYALTY_PROGRAM_FILE";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static ProgramDefinition Load(IConfiguration configuration)
    {
        var path = configuration[SettingName] is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, "program.json");
        ProgramDefinition? program;
        try
        {
            program = JsonSerializer.Deserialize<ProgramDefinition>(File.ReadAllText(path), Options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new InvalidOperationException($"The program definition {path} (setting {SettingName}) cannot be read: {e.Message}", e);
        }

        var errors = program?.Validate() ?? ["the file is empty"];
        if (errors.Count > 0)
        {
            throw new InvalidOperationException($"The program definition {path} is invalid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors));
        }

        return program!;
    }
}
