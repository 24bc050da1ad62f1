using Loyalty.Adapters.Storage;
using Loyalty.Domain.Program;
using Loyalty.Functions.Health;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Http;
using Loyalty.Functions.Members;
using System.Security.Cryptography;
using Loyalty.Functions.Privacy;
using Loyalty.Functions.Purchases;
using Loyalty.Functions.Rewards;

var builder = WebApplication.CreateSlimBuilder(args);
HandlerUrls.Configure(builder);
builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024);

var services = builder.Services;
services.AddSingleton(TimeProvider.System);
services.AddSingleton(sp => ProgramFile.Load(sp.GetRequiredService<IConfiguration>()));
services.AddSingleton(sp => StorageAccount.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateTableServiceClient());
services.AddSingleton(sp => sp.GetRequiredService<StorageAccount>().CreateQueueServiceClient());
services.AddSingleton<MemberIndexes>();
services.AddSingleton<MemberStore>();
services.AddSingleton<StorageSetup>();
services.AddHostedService(sp => sp.GetRequiredService<StorageSetup>());

services.AddSingleton(RandomNumberGenerator.Create());
services.AddSingleton<VoucherCodes>();
services.AddSingleton<PurchaseRecorder>();
services.AddRewards().AddPrivacy();

services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase);
services.AddProblemDetails(o => o.CustomizeProblemDetails = Problems.UseOwnTypes);
services.AddExceptionHandler<TransientFailures>();
services.AddStorageHealthCheck();
services.AddOpenApi("v1", o => o.AddDocumentTransformer((doc, _, _) =>
{
    doc.Info.Title = "Loyalty Functions API";
    doc.Info.Description = "Members, purchases and points. Errors are application/problem+json (RFC 9457).";
    return Task.CompletedTask;
}));

var app = builder.Build();

// Fail at start, naming the setting, rather than on the first request.
app.Services.GetRequiredService<ProgramDefinition>();
app.Services.GetRequiredService<StorageAccount>();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseApiKey(app.Configuration[ApiKey.SettingName]);

// The Functions host probes GET / until the handler answers.
app.MapGet("/", () => TypedResults.Text("Loyalty Functions handler")).ExcludeFromDescription();
app.MapOpenApi("/api/openapi.json");
app.MapHealthApi();

var api = app.MapGroup("/api")
    .ProducesValidationProblem()
    .ProducesProblem(StatusCodes.Status401Unauthorized)
    .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
api.MapMembersApi();
api.MapPurchasesApi();
api.MapRewardsApi();
api.MapPrivacyApi();

app.Run();

/// <summary>The entry point, visible to the tests' WebApplicationFactory.</summary>
public partial class Program;
