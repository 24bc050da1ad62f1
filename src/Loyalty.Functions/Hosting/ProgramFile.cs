using System.Text.Json;
using System.Text.Json.Serialization;
using Loyalty.Domain.Outreach;
using Loyalty.Adapters.Json;
using Loyalty.Domain.Program;
using Loyalty.Functions.Http;

namespace Loyalty.Functions.Hosting;

/// <summary>Loads the program definition from its JSON file and refuses to start on a bad one, naming every fault.</summary>
public static partial class ProgramFile
{
    public const string SettingName = "LOYALTY_PROGRAM_FILE";

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        TypeInfoResolver = ApiJson.Default,
        Converters =
        {
            new JsonStringEnumConverter<RewardKind>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<TierMetric>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<Campaign>(JsonNamingPolicy.CamelCase),
            new JsonStringEnumConverter<CampaignKind>(JsonNamingPolicy.CamelCase),
        },
    };

    public static ProgramDefinition Load(IConfiguration configuration)
    {
        var path = configuration[SettingName] is { Length: > 0 } p ? p : Path.Combine(AppContext.BaseDirectory, "program.json");
        ProgramDefinition? program;
        try
        {
            program = JsonSerializer.Deserialize(File.ReadAllText(path), Options.For<ProgramDefinition>());
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

    /// <summary>Logs what each message template costs (SMS segments, GSM-7 or UCS-2) and warns about templates that
    /// need more than two segments or lack the opt-out hint: segments are what ACS bills.</summary>
    public static void LogTemplateReport(ProgramDefinition program, ILogger logger)
    {
        foreach (var report in program.Outreach.Report(program.Name))
        {
            LogTemplate(logger, report.Campaign.Name(), report.Locale, report.Size.Segments, report.Size.Encoding.ToString(), report.SegmentsWithNonGsmName);
            foreach (var warning in report.Warnings)
            {
                LogTemplateWarning(logger, report.Campaign.Name(), report.Locale, warning);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Template {Campaign}/{Locale}: {Segments} SMS segment(s), {Encoding}; {NonGsmNameSegments} with a name outside GSM-7")]
    private static partial void LogTemplate(ILogger logger, string campaign, string locale, int segments, string encoding, int nonGsmNameSegments);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Template {Campaign}/{Locale}: {Warning}")]
    private static partial void LogTemplateWarning(ILogger logger, string campaign, string locale, string warning);
}
