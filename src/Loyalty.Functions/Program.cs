using System.Security.Cryptography;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Operations;
using Loyalty.Domain.Program;
using Loyalty.Functions.Adjustments;
using Loyalty.Functions.Events;
using Loyalty.Functions.Health;
using Loyalty.Functions.Holds;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Http;
using Loyalty.Functions.Jobs;
using Loyalty.Functions.Members;
using Loyalty.Functions.Outreach;
using Loyalty.Functions.Privacy;
using Loyalty.Functions.Purchases;
using Loyalty.Functions.Returns;
using Loyalty.Functions.Rewards;
using Loyalty.Functions.Telemetry;
using Loyalty.Functions.Standalone;
using Loyalty.Functions.Vouchers;
using Scalar.AspNetCore;

var builder = WebApplication.CreateSlimBuilder(args);
HandlerUrls.Configure(builder);
builder.AddLoyaltyTelemetry();
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);

var services = builder.Services;
services.AddSingleton(TimeProvider.System);
services.AddSingleton(sp => ProgramFile.Load(sp.GetRequiredService<IConfiguration>()));
services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateTableServiceClient());
services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateQueueServiceClient());
services.AddSingleton(sp => PhoneKeySettings.Load(sp.GetRequiredService<IConfiguration>()));
services.AddSingleton<MemberIndexes>();
services.AddSingleton<Claims>();
services.AddEvents();

// Randomness is an input: jitter from a Random, voucher codes from a cryptographic source.
services.AddSingleton(Random.Shared);
services.AddSingleton(RandomNumberGenerator.Create());
services.AddSingleton<VoucherCodes>();
services.AddSingleton(sp => new Contention(sp.GetRequiredService<Random>()));
services.AddSingleton<LedgerMetrics>();
services.AddOptions<MemberCacheSettings>()
    .BindConfiguration(MemberCacheSettings.Section)
    .Validate(s => s.Entries > 0 && s.Lifetime > TimeSpan.Zero, "MemberCache__Entries must be at least 1 and MemberCache__Lifetime longer than zero")
    .ValidateOnStart();
services.AddSingleton(sp => new MemberCache(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<MemberCacheSettings>>().Value));
services.AddSingleton<MemberStore>();
services.AddSingleton<StorageSetup>();
services.AddHostedService(sp => sp.GetRequiredService<StorageSetup>());

services.AddSingleton<PurchaseRecorder>();
services.AddSingleton<NightlyJobs>();
services.AddOutreach();
services.AddTriggerRunner();
services.AddRewards().AddPrivacy();

services.ConfigureHttpJsonOptions(o =>
{
    o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase;
    // Numbers are written, and described, as numbers only (the web default also reads them from strings).
    o.SerializerOptions.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
    // The generated serializer code alone (Native AOT): no reflection to fall back on, in any build.
    o.SerializerOptions.TypeInfoResolverChain.Clear();
    o.SerializerOptions.TypeInfoResolverChain.Add(ApiJson.Default);
});
services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.UseOwnTypes);
services.AddExceptionHandler<TransientFailures>();
services.AddExceptionHandler<ClientFailures>();
services.AddStorageHealthCheck();
services.AddApiContract();

var app = builder.Build();
app.UseLoyaltyTelemetry();

// Fail at start, naming the setting, rather than on the first request: a bad setting or program file is the operator's
// to fix, so it is said in plain words, without a stack trace.
try
{
    ProgramFile.LogTemplateReport(app.Services.GetRequiredService<ProgramDefinition>(), app.Logger);
    app.Services.GetRequiredService<StorageAccount>();
    app.Services.GetRequiredService<PhoneKeys>();
}
catch (InvalidOperationException e)
{
    await Console.Error.WriteLineAsync($"Loyalty Functions cannot start: {e.Message}");
    return 1;
}
app.UseExceptionHandler();
app.UseStatusCodePages();
if (!HandlerUrls.UnderFunctionsHost(app.Configuration))
{
    app.UseApiKey(app.Configuration[ApiKey.SettingName]);
}

// The Functions host probes GET / until the handler answers.
app.MapGet("/", () => TypedResults.Text("Loyalty Functions handler")).ExcludeFromDescription();
app.MapOpenApi(ApiContract.DocumentPath);
if (app.Environment.IsDevelopment())
{
    // The interactive reference of the document, for local runs (eng/run.sh).
    app.MapScalarApiReference(ApiContract.ReferencePath, o => o.WithOpenApiRoutePattern(ApiContract.DocumentPath));
}

app.MapHealthApi();

var api = app.MapGroup("/api")
    .ProducesValidationProblem()
    .ProducesProblem(StatusCodes.Status401Unauthorized)
    .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
api.MapMembersApi();
api.MapPurchasesApi();
api.MapReturnsApi();
api.MapAdjustmentsApi();
api.MapRewardsApi();
api.MapPrivacyApi();
api.MapOutreachApi();
api.MapVouchersApi();
api.MapHoldsApi();
api.MapEventsApi();

// Non-HTTP functions, invoked by the Functions host (or the standalone runner) per the custom-handler protocol.
app.MapPurchaseFunctions();
app.MapJobFunctions();
app.MapOutreachFunctions();
app.MapEventFunctions();
app.MapFunctionInvocations();

await app.RunAsync();
return 0;

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
