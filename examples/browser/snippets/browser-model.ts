import { TpfrModel } from '@tpfr/models';
// #region doc
let model: TpfrModel;
try {
  model = await TpfrModel.load('indexeddb://tpfr-model'); // saved by an earlier visit
} catch {
  model = await TpfrModel.load(new URL('model/model.json', location.href).href); // static files over HTTP
  await model.save('indexeddb://tpfr-model'); // one artifact set: the next visit loads offline
}
// #endregion
export { model };
