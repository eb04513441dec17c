# Start Tongzhan on Windows with waitress, reading the production environment file (docs/deploy.md).
#
#   powershell -ExecutionPolicy Bypass -File C:\tongzhan\app\deploy\windows\run-tongzhan.ps1
#
# Register it to start with the machine (run once, as Administrator), under a dedicated local account:
#   $action  = New-ScheduledTaskAction -Execute "powershell.exe" `
#              -Argument "-ExecutionPolicy Bypass -File C:\tongzhan\app\deploy\windows\run-tongzhan.ps1"
#   $trigger = New-ScheduledTaskTrigger -AtStartup
#   Register-ScheduledTask -TaskName "Tongzhan" -Action $action -Trigger $trigger `
#              -User "tongzhan" -Password (Read-Host "tongzhan 账号的密码") -RunLevel Limited
param(
    [string]$App = "C:\tongzhan\app",
    [string]$EnvFile = "C:\tongzhan\tongzhan.env",
    [string]$Listen = "127.0.0.1:8000"
)
$ErrorActionPreference = "Stop"
Set-Location $App

# The data folder and the key file, unless the environment file names others.
$env:TONGZHAN_DATA_DIR = "C:\tongzhan\data"
$env:TONGZHAN_KEY_FILE = "C:\tongzhan\keys\field_keys.json"
foreach ($line in Get-Content -Encoding UTF8 $EnvFile) {
    if ($line -match '^\s*#' -or $line -notmatch '=') { continue }
    $name, $value = $line -split '=', 2
    Set-Item -Path "env:$($name.Trim())" -Value $value.Trim()
}

$python = Join-Path $App ".venv\Scripts\python.exe"
& $python manage.py check --deploy --fail-level WARNING
if ($LASTEXITCODE -ne 0) { throw "部署检查未通过：请按提示修改 $EnvFile" }
& $python manage.py migrate --noinput
if ($LASTEXITCODE -ne 0) { throw "数据库迁移失败" }
& $python manage.py collectstatic --noinput --verbosity 0
if ($LASTEXITCODE -ne 0) { throw "收集静态文件失败" }

# Loopback only; the TLS proxy or gateway in front is the one way in.
& (Join-Path $App ".venv\Scripts\waitress-serve.exe") "--listen=$Listen" --threads=8 `
    --trusted-proxy=127.0.0.1 "--trusted-proxy-headers=x-forwarded-for x-forwarded-proto" `
    --clear-untrusted-proxy-headers config.wsgi:application
