// src/types/index.ts: the type modules by KEY_TYPE, for the commands that serve every type
// (TYPE, OBJECT ENCODING, MEMORY USAGE, DUMP, COPY, SCAN TYPE).
import { hashType } from './hash.js';
import { listType } from './list.js';
import { timeseriesType } from './timeseries/module.js';
import { RDB_TYPE_MODULE_2, restoreSeriesObject, seriesMigrationObject } from './timeseries/series-payload.js';
import { setType } from './set.js';
import { stringType } from './string.js';
import type { TypeModule } from './type-module.js';
import { zsetType } from './zset.js';

const MODULES: ReadonlyMap<number, TypeModule> = new Map([stringType, hashType, listType, setType, zsetType, timeseriesType].map((module) => [module.type, module]));

/** The module of a stored type; a type byte no module owns is a bug (or damage). */
export function typeModule(type: number): TypeModule {
  const module = MODULES.get(type);
  if (module === undefined) throw new Error(`no type module for type ${type}`);
  return module;
}

/** MIGRATE's tskv-only series payload (timeseries/series-payload.ts): RESTORE reads it, DUMP never writes it. */
const seriesMigration: TypeModule = { ...timeseriesType, rdbTypes: [RDB_TYPE_MODULE_2], restoreObject: (keyspace, _rdbType, cursor) => restoreSeriesObject(keyspace, cursor) };

const RESTORERS: ReadonlyMap<number, TypeModule> = new Map([stringType, hashType, listType, setType, zsetType, timeseriesType, seriesMigration].flatMap((module) => module.rdbTypes.map((rdbType) => [rdbType, module] as const)));

/** The module that reads an RDB object of this type (RESTORE), if any. */
export function restorerOf(rdbType: number): TypeModule | undefined {
  return RESTORERS.get(rdbType);
}

export { seriesMigrationObject };
export { ENCODING_LIMITS_DEFAULT, type EncodingLimits, type TypeModule } from './type-module.js';
