import { describePoolContract } from '../../core/pool-contract.js';

describePoolContract('async');
