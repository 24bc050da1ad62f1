// Loyalty Functions in Azure: a Flex Consumption function app running the custom handler, with its storage,
// Service Bus, Azure Communication Services, an Event Grid topic for the events it publishes, Key Vault and monitoring. Deploy into an existing resource group:
//   az deployment group create -g <group> -f infra/main.bicep -p infra/main.bicepparam
// The app reaches storage, Service Bus and Key Vault with its system-assigned identity; the only secret (the
// ACS connection string) goes from ACS straight into Key Vault and reaches the app as a Key Vault reference.
targetScope = 'resourceGroup'

metadata description = 'Loyalty Functions: Flex Consumption custom handler, Table/Queue storage, Service Bus, ACS SMS, Event Grid events, Key Vault, Application Insights.'

@description('Azure region of every regional resource. Flex Consumption is not offered everywhere: az functionapp list-flexconsumption-locations.')
param location string = resourceGroup().location

@description('Short lowercase prefix for resource names; a hash of the resource group keeps global names unique.')
@minLength(2)
@maxLength(12)
param namePrefix string = 'loyalty'

@description('Tags added to every resource.')
param tags object = {}

@description('Memory of each Flex Consumption instance, in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app may scale out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Version of the Flex Consumption "custom" (custom handler) runtime stack; list the offered ones with az functionapp list-flexconsumption-runtimes --location <region> --runtime custom.')
param customHandlerRuntimeVersion string = '1.0'

@description('Deploy a Service Bus namespace with the purchases queue. Without it order systems use the HTTP API only.')
param enableServiceBus bool = true

@description('How long the purchases queue remembers message ids for duplicate detection (ISO 8601 duration, 20 seconds to 7 days). Order systems (and loyalty purchases publish) set the message id to the purchase id, so a purchase sent twice within the window is dropped by Service Bus; later repeats are still credited once, by the ledger. Duplicate detection can only be chosen when the queue is created.')
param duplicateDetectionWindow string = 'PT1H'

@description('Where Azure Communication Services keeps its data at rest (a geography such as "United States", "Europe", "UK").')
param acsDataLocation string = 'United States'

@description('The SMS sender: a phone number in E.164 form bought for the ACS resource (outside this template), or an approved alphanumeric sender id.')
@minLength(3)
param smsSender string

@description('Subscribe the SmsInbound function to the ACS SMS events (received messages, delivery reports). Deploy once with false, publish the package, then deploy again with true: Event Grid validates the function when the subscription is created.')
param enableSmsEvents bool = false

@description('Days Log Analytics keeps telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionDays int = 30

@description('Where the alerts (messages in a poison or dead-letter queue, a failing scheduled job, a rising failure rate) are e-mailed.')
@minLength(3)
param alertEmail string

@description('Share of failed requests and invocations (status 500 or more, failed invocations), in per cent over 15 minutes, above which the failure-rate alert fires.')
@minValue(1)
@maxValue(100)
param failureRateThreshold int = 5

// Names the app uses. The deployment tests (tests/Loyalty.Tests/Deployment) compare these lists with the app's
// function.json files and table names, so keep them literal.
@description('When the nightly ExpirePoints job runs (six-field NCRONTAB, UTC).')
param expirePointsSchedule string = '0 15 1 * * *'

@description('When the nightly ReviewTiers job runs (six-field NCRONTAB, UTC).')
param reviewTiersSchedule string = '0 45 1 * * *'

@description('When the BirthdayGreetings planner runs (six-field NCRONTAB, UTC). Members get their message in their own sending window.')
param birthdayGreetingsSchedule string = '0 0 2 * * *'

@description('When the ExpiryWarnings planner runs (six-field NCRONTAB, UTC); after ExpirePoints, so that it warns about what is left.')
param expiryWarningsSchedule string = '0 15 2 * * *'

@description('When the WinBack planner runs (six-field NCRONTAB, UTC).')
param winBackSchedule string = '0 30 2 * * *'

@description('When the PublishEvents sweep runs (six-field NCRONTAB, UTC): it publishes events the dispatch right after each commit left pending (a crash, a topic that kept refusing).')
param publishEventsSchedule string = '*/30 * * * * *'

@description('When the CleanEvents job runs (six-field NCRONTAB, UTC): it deletes published events past their retention.')
param cleanEventsSchedule string = '0 0 3 * * *'

@description('When ReconcileOutreach resolves messages left in sending (six-field NCRONTAB, UTC).')
param reconcileOutreachSchedule string = '0 50 * * * *'

@description('Render and record outreach messages without sending them through ACS (e.g. before the sender number is bought).')
param outreachDryRun bool = false

@description('How long a sent (or otherwise final) reply to a number no member has is kept before CleanEvents deletes it (a TimeSpan, d.hh:mm:ss, 1 to 366 days).')
param outreachStrangerRetention string = '7.00:00:00'

@secure()
@minLength(16)
@description('The secret that keys the phone index (an HMAC of each number), kept in Key Vault. Generate it once (openssl rand -base64 32) and keep it: replacing it is a rotation (README, "Phone index key").')
param phoneHintKey string

var storageTables = [
  'members'
  'birthdays'
  'lastpurchase'
  'lotexpiry'
  'tierreview'
  'rewards'
  'phones'
  'audit'
  'claims'
  'eventspending'
  'eventcleanup'
  'outreachsending'
]
var storageQueues = [
  'purchases'
  'purchases-poison'
  'outreach'
  'outreach-poison'
]
var serviceBusQueueName = 'purchases'
var smsEventsFunctionName = 'SmsInbound'
var deploymentContainerName = 'app-package'

var suffix = uniqueString(resourceGroup().id, namePrefix)
var functionAppName = '${namePrefix}-func-${suffix}'
var storageAccountName = take(toLower('st${replace(namePrefix, '-', '')}${suffix}'), 24)
var keyVaultName = take('kv-${namePrefix}-${suffix}', 24)
var acsSecretName = 'acs-connection-string'

// Built-in role definitions (the ids are the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  eventGridDataSender: 'd5a91429-5739-47e2-a06b-3470a27159e7'
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-appi-${suffix}'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    // Everything (the Functions host, the deployment, the handler) signs in with the app's identity.
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = [
  for table in storageTables: {
    parent: tableService
    name: table
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = [
  for queue in storageQueues: {
    parent: queueService
    name: queue
  }
]

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' = if (enableServiceBus) {
  name: '${namePrefix}-sb-${suffix}'
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    // No SAS keys: senders and the app use Entra ID roles.
    disableLocalAuth: true
  }
}

resource purchasesQueue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = if (enableServiceBus) {
  parent: serviceBus
  name: serviceBusQueueName
  properties: {
    maxDeliveryCount: 5
    deadLetteringOnMessageExpiration: true
    lockDuration: 'PT1M'
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: duplicateDetectionWindow
  }
}

resource acs 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: '${namePrefix}-acs-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    dataLocation: acsDataLocation
  }
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource acsSecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: acsSecretName
  properties: {
    value: acs.listKeys().primaryConnectionString
    contentType: 'ACS connection string'
  }
}

resource phoneKeySecret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: 'loyalty-phone-key'
  properties: {
    value: phoneHintKey
    contentType: 'HMAC key of the phone index'
  }
}

// The events the app publishes (CloudEvents 1.0). No access keys: the app sends with its identity, subscribers are
// Event Grid subscriptions (README, "Events").
resource eventsTopic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: '${namePrefix}-events-${suffix}'
  location: location
  tags: tags
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-11-01' = {
  name: functionAppName
  location: location
  // azd (azure.yaml) finds the app to deploy the "api" service to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // Flex Consumption takes the worker runtime from functionAppConfig.runtime, not from
      // FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION, which are deprecated there (the Flex Consumption deprecations list in the app settings reference).
      appSettings: [
        // Identity-based connections (system-assigned identity): the host and the handler (StorageAccount) derive
        // the blob, queue and table endpoints from the account name.
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'ServiceBusConnection__fullyQualifiedNamespace'
          value: enableServiceBus ? split(split(serviceBus!.properties.serviceBusEndpoint, '//')[1], ':')[0] : ''
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'ACS_CONNECTION_STRING'
          value: '@Microsoft.KeyVault(SecretUri=${acsSecret.properties.secretUri})'
        }
        {
          name: 'LOYALTY_PHONE_KEY'
          value: '@Microsoft.KeyVault(SecretUri=${phoneKeySecret.properties.secretUri})'
        }
        {
          name: 'ACS_SMS_FROM'
          value: smsSender
        }
        // Azure has Service Bus, so the Storage-queue twin of the purchase function (the local path) stays off.
        {
          name: 'AzureWebJobs.RecordPurchaseFromQueue.Disabled'
          value: 'true'
        }
        {
          name: 'AzureWebJobs.RecordPurchaseFromServiceBus.Disabled'
          value: enableServiceBus ? 'false' : 'true'
        }
        // Timer schedules (six-field NCRONTAB, UTC), named by the timer functions' function.json.
        {
          name: 'ExpirePointsSchedule'
          value: expirePointsSchedule
        }
        {
          name: 'ReviewTiersSchedule'
          value: reviewTiersSchedule
        }
        {
          name: 'BirthdayGreetingsSchedule'
          value: birthdayGreetingsSchedule
        }
        {
          name: 'ExpiryWarningsSchedule'
          value: expiryWarningsSchedule
        }
        {
          name: 'WinBackSchedule'
          value: winBackSchedule
        }
        {
          name: 'ReconcileOutreachSchedule'
          value: reconcileOutreachSchedule
        }
        {
          name: 'Outreach__DryRun'
          value: outreachDryRun ? 'true' : 'false'
        }
        {
          name: 'Outreach__StrangerRetention'
          value: outreachStrangerRetention
        }
        // Events go to the topic with the app's identity (no Events__TopicKey in Azure).
        {
          name: 'Events__TopicEndpoint'
          value: eventsTopic.properties.endpoint
        }
        {
          name: 'PublishEventsSchedule'
          value: publishEventsSchedule
        }
        {
          name: 'CleanEventsSchedule'
          value: cleanEventsSchedule
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
      }
      runtime: {
        name: 'custom'
        version: customHandlerRuntimeVersion
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// Role assignments for the app's identity. Blob Data Owner is on the account, not only the deployment
// container: the Functions host keeps its keys (azure-webjobs-secrets) and the timer and singleton leases
// (azure-webjobs-hosts) in blob containers of AzureWebJobsStorage, and creates them on first start.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Queue triggers read and delete messages, the handler enqueues outreach jobs, and the host moves failed
// messages to <queue>-poison: Contributor covers all three.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, functionApp.id, roles.storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageTableDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource serviceBusReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (enableServiceBus) {
  name: guid(purchasesQueue.id, functionApp.id, roles.serviceBusDataReceiver)
  scope: purchasesQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, functionApp.id, roles.keyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.keyVaultSecretsUser)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource eventsSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventsTopic.id, functionApp.id, roles.eventGridDataSender)
  scope: eventsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.eventGridDataSender)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource smsEvents 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (enableSmsEvents) {
  name: '${namePrefix}-acs-events-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    source: acs.id
    topicType: 'Microsoft.Communication.CommunicationServices'
  }
}

resource smsToFunction 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = if (enableSmsEvents) {
  parent: smsEvents
  name: 'sms-to-${toLower(smsEventsFunctionName)}'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/${smsEventsFunctionName}'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Communication.SMSReceived'
        'Microsoft.Communication.SMSDeliveryReportReceived'
      ]
    }
    eventDeliverySchema: 'EventGridSchema'
  }
}

// The program's dashboard and its alerts. The workbook's queries and the alerts' queries are files beside this template
// (infra/workbook, infra/alerts); tests/Loyalty.Tests/Telemetry/DashboardTests.cs checks them against the metric and
// dimension names the app emits.
var workbookQueries = [
  {
    name: 'purchases'
    title: 'Purchases per day'
    query: loadTextContent('workbook/purchases-per-day.kql')
    visualization: 'barchart'
  }
  {
    name: 'points-issued'
    title: 'Points issued per day, by source'
    query: loadTextContent('workbook/points-issued-per-day.kql')
    visualization: 'barchart'
  }
  {
    name: 'points-redeemed-expired'
    title: 'Points redeemed and expired per day'
    query: loadTextContent('workbook/points-redeemed-expired.kql')
    visualization: 'linechart'
  }
  {
    name: 'points-moved'
    title: 'Every movement of points (adds up to the ledger)'
    query: loadTextContent('workbook/points-moved.kql')
    visualization: 'table'
  }
  {
    name: 'tier-changes'
    title: 'Tier changes per day'
    query: loadTextContent('workbook/tier-changes.kql')
    visualization: 'barchart'
  }
  {
    name: 'outreach-funnel'
    title: 'Outreach per campaign: planned, sent, skipped, failed'
    query: loadTextContent('workbook/outreach-funnel.kql')
    visualization: 'table'
  }
  {
    name: 'outreach-skipped'
    title: 'Outreach skipped, by reason'
    query: loadTextContent('workbook/outreach-skipped.kql')
    visualization: 'table'
  }
  {
    name: 'failures-by-function'
    title: 'Failed invocations by function'
    query: loadTextContent('workbook/failures-by-function.kql')
    visualization: 'timechart'
  }
  {
    name: 'failed-requests'
    title: 'Failed HTTP requests by route'
    query: loadTextContent('workbook/failed-requests.kql')
    visualization: 'table'
  }
]

var workbook = {
  version: 'Notebook/1.0'
  items: concat(
    [
      {
        type: 1
        name: 'title'
        content: {
          json: '## Loyalty program\nPurchases, points, tiers, outreach and failures, from the app\'s metrics (never sampled).'
        }
      }
      {
        type: 9
        name: 'parameters'
        content: {
          version: 'KqlParameterItem/1.0'
          parameters: [
            {
              id: 'c5b2f0a4-6f0e-4e0b-9c44-2f7d1a0b9e51'
              version: 'KqlParameterItem/1.0'
              name: 'TimeRange'
              label: 'Period'
              type: 4
              isRequired: true
              value: {
                durationMs: 2592000000
              }
              typeSettings: {
                selectableValues: [
                  {
                    durationMs: 86400000
                  }
                  {
                    durationMs: 604800000
                  }
                  {
                    durationMs: 2592000000
                  }
                  {
                    durationMs: 7776000000
                  }
                ]
              }
            }
          ]
        }
      }
    ],
    map(workbookQueries, q => {
      type: 3
      name: q.name
      content: {
        version: 'KqlItem/1.0'
        title: q.title
        query: q.query
        size: 0
        queryType: 0
        resourceType: 'microsoft.insights/components'
        visualization: q.visualization
      }
    })
  )
  isLocked: false
}

resource dashboard 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, namePrefix, 'loyalty-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: 'Loyalty program (${namePrefix})'
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(workbook)
  }
}

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take('${namePrefix}ops', 12)
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

var logAlerts = [
  {
    name: 'poison-messages'
    displayName: 'Messages moved to a poison queue'
    description: 'A queue message failed its last attempt and was moved to <queue>-poison. Find the cause and replay it (README, "Runbook: replaying what failed").'
    severity: 1
    query: loadTextContent('alerts/poison-messages.kql')
    measure: ''
    threshold: 0
  }
  {
    name: 'failing-scheduled-job'
    displayName: 'A scheduled job failed'
    description: 'A timer function (expiry, tier review, outreach planners and reconciliation, event sweep or cleanup) answered with a failure.'
    severity: 1
    query: loadTextContent('alerts/failing-scheduled-jobs.kql')
    measure: ''
    threshold: 0
  }
  {
    name: 'failure-rate'
    displayName: 'Failure rate is rising'
    description: 'More than ${failureRateThreshold} % of requests and invocations failed in 15 minutes.'
    severity: 2
    query: loadTextContent('alerts/failure-rate.kql')
    measure: 'failurePercentage'
    threshold: failureRateThreshold
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for alert in logAlerts: {
    name: '${namePrefix}-${alert.name}-${suffix}'
    location: location
    tags: tags
    properties: {
      displayName: alert.displayName
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: alert.query
            timeAggregation: empty(alert.measure) ? 'Count' : 'Maximum'
            metricMeasureColumn: empty(alert.measure) ? null : alert.measure
            operator: 'GreaterThan'
            threshold: alert.threshold
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          operators.id
        ]
      }
    }
  }
]

resource deadLetters 'Microsoft.Insights/metricAlerts@2018-03-01' = if (enableServiceBus) {
  name: '${namePrefix}-dead-letters-${suffix}'
  location: 'global'
  tags: tags
  properties: {
    description: 'Purchases in the Service Bus dead-letter queue. Inspect and resubmit them (README, "Runbook: replaying what failed").'
    severity: 1
    enabled: true
    scopes: [
      serviceBus.id
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          name: 'dead-lettered'
          criterionType: 'StaticThresholdCriterion'
          metricNamespace: 'Microsoft.ServiceBus/namespaces'
          metricName: 'DeadletteredMessages'
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: [
                serviceBusQueueName
              ]
            }
          ]
          operator: 'GreaterThan'
          threshold: 0
          timeAggregation: 'Maximum'
        }
      ]
    }
    autoMitigate: true
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}

@description('The function app (for az functionapp commands).')
output functionAppName string = functionApp.name

@description('The app\'s base URL; the API is under /api.')
output functionAppUrl string = 'https://${functionApp.properties.defaultHostName}'

@description('The storage account holding tables, queues and the deployment package.')
output storageAccountName string = storage.name

@description('The Event Grid topic the app publishes its events to: subscribe to it (README, "Events").')
output eventsTopicName string = eventsTopic.name

@description('The Azure Monitor workbook of the program (Azure portal > Monitor > Workbooks).')
output workbookId string = dashboard.id

@description('The Service Bus namespace order systems send purchases to (empty when disabled).')
output serviceBusNamespace string = enableServiceBus ? serviceBus.name : ''
