// stepdbg VS Code extension: launches `stepdbg dap` as the debug adapter.
'use strict';

const vscode = require('vscode');

const TYPE = 'stepdbg';

/** The stepdbg executable: launch config `stepdbgPath`, else setting `stepdbg.path`, else "stepdbg". */
function stepdbgPath(config, folder) {
  if (config && typeof config.stepdbgPath === 'string' && config.stepdbgPath.trim()) {
    return config.stepdbgPath;
  }
  const setting = vscode.workspace
    .getConfiguration('stepdbg', folder ? folder.uri : undefined)
    .get('path');
  if (typeof setting === 'string' && setting.trim()) {
    return setting;
  }
  return 'stepdbg';
}

class StepdbgAdapterFactory {
  /** @param {vscode.DebugSession} session */
  createDebugAdapterDescriptor(session) {
    const folder = session.workspaceFolder;
    const options = {};
    if (folder && folder.uri.scheme === 'file') {
      // Relative paths in the launch configuration resolve against the workspace folder.
      options.cwd = folder.uri.fsPath;
    }
    return new vscode.DebugAdapterExecutable(
      stepdbgPath(session.configuration, folder),
      ['dap'],
      options
    );
  }
}

class StepdbgConfigurationProvider {
  /**
   * Fills in a default configuration when there is no launch.json (F5 on an open
   * definition), and refuses to start without a program.
   */
  resolveDebugConfiguration(folder, config) {
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      config.type = TYPE;
      config.request = 'launch';
      config.name = 'stepdbg: debug this definition';
      if (editor && editor.document.uri.scheme === 'file') {
        config.program = editor.document.uri.fsPath;
      }
      config.stopOnEntry = true;
    }
    if (!config.program) {
      vscode.window.showInformationMessage(
        'stepdbg: nothing to debug. Open a state machine definition (.asl.json / .asl.yaml) or a SAM template, or set "program" in launch.json.'
      );
      return undefined; // aborts the launch
    }
    return config;
  }
}

/** @param {vscode.ExtensionContext} context */
function activate(context) {
  context.subscriptions.push(
    vscode.debug.registerDebugAdapterDescriptorFactory(TYPE, new StepdbgAdapterFactory()),
    vscode.debug.registerDebugConfigurationProvider(TYPE, new StepdbgConfigurationProvider())
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
